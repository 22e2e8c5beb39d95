package jsonschema_test

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"time"

	"github.com/evgenhq/evgen/schema"
)

// fill sets the fields of the generated struct v from the contract's
// fields: every one when full, else only the required ones, with lists,
// maps and bytes left nil (which Go encodes as null). Values are chosen at
// the edges of what the contract allows: int bounds, a fraction of a
// second, a zone offset.
func fill(v reflect.Value, fields []*schema.Field, full bool) {
	t := v.Type()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		f := fieldNamed(fields, name)
		if f.Optional && !full {
			continue
		}
		dst := v.Field(i)
		if dst.Kind() == reflect.Pointer {
			dst.Set(reflect.New(dst.Type().Elem()))
			dst = dst.Elem()
		}
		set(dst, f.Type, full)
	}
}

func fieldNamed(fields []*schema.Field, name string) *schema.Field {
	for _, f := range fields {
		if f.Name == name {
			return f
		}
	}
	panic(fmt.Sprintf("the contract has no field %q", name))
}

// set gives dst a valid value of contract type ct.
func set(dst reflect.Value, ct *schema.Type, full bool) {
	switch ct.Kind {
	case schema.KindList:
		if full {
			dst.Set(reflect.MakeSlice(dst.Type(), 1, 1))
			set(dst.Index(0), ct.Elem, full)
		}
	case schema.KindMap:
		if full {
			dst.Set(reflect.MakeMap(dst.Type()))
			elem := reflect.New(dst.Type().Elem()).Elem()
			set(elem, ct.Elem, full)
			dst.SetMapIndex(reflect.ValueOf("key"), elem)
		}
	case schema.KindBytes:
		if full {
			dst.SetBytes([]byte("evgen\x00\xff"))
		}
	case schema.KindNamed:
		if ct.Named.IsEnum() {
			dst.SetString(ct.Named.Enum[len(ct.Named.Enum)-1].Value)
			return
		}
		fill(dst, ct.Named.Fields, full)
	case schema.KindTimestamp:
		dst.Set(reflect.ValueOf(time.Date(2026, 12, 2, 1, 2, 3, 456789000, time.FixedZone("", 3600))))
	default:
		dst.Set(reflect.ValueOf(scalars[ct.Kind]).Convert(dst.Type()))
	}
}

// scalars are a valid value of each scalar kind, as its Go type holds it.
var scalars = map[schema.Kind]any{
	schema.KindString:   "text",
	schema.KindBool:     true,
	schema.KindInt32:    int32(math.MinInt32),
	schema.KindInt64:    int64(math.MaxInt64),
	schema.KindFloat64:  -1.5e300,
	schema.KindDecimal:  "-12.50",
	schema.KindUUID:     "0190C5A8-1234-7abc-8def-0123456789ab",
	schema.KindDate:     "2024-02-29",
	schema.KindDuration: "1h30m0.5s",
}

// invalid are, per kind, values a required field of that kind must not
// take: the generated decoder or Validate rejects them, and so must the
// schema.
var invalid = map[schema.Kind][]any{
	schema.KindString:    {"", 7, nil},
	schema.KindBool:      {"true"},
	schema.KindInt32:     {float64(math.MaxInt32) + 1, 1.5, "1"},
	schema.KindInt64:     {"1", 0.5},
	schema.KindFloat64:   {"1.5"},
	schema.KindDecimal:   {"1e3", "+1", ".5", "12.", ""},
	schema.KindUUID:      {"0190c5a8-1234-7abc-8def-0123456789a", "not-a-uuid", ""},
	schema.KindTimestamp: {"yesterday", "2026-12-02 01:02:03"},
	schema.KindDate:      {"02/12/2026", "2026-2-1", ""},
	schema.KindDuration:  {"90 minutes", "1d", ""},
	schema.KindBytes:     {7},
	schema.KindList:      {"x"},
	schema.KindMap:       {"x"},
}
