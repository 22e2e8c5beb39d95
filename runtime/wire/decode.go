package wire

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"
)

// DecodeObject decodes the JSON object b into fields: it is a generated
// UnmarshalJSON method. Unknown keys are ignored, so producers can add
// fields; a missing required field, a value of the wrong JSON type or an
// unknown enum value is an error naming the field. Keys match exactly,
// not case-insensitively as in encoding/json; of a repeated key the last
// value counts, as in encoding/json.
func DecodeObject(b []byte, fields []Field) error {
	if string(b) == "null" {
		return errors.New("got null, want object")
	}
	// Most events have a few fields: their values' places fit on the stack.
	var buf [16][]byte
	raws := buf[:0]
	if len(fields) > len(buf) {
		raws = make([][]byte, len(fields))
	}
	raws = raws[:len(fields)]
	if !json.Valid(b) || !splitObject(b, fields, raws) {
		if err := splitWithJSON(b, fields, raws); err != nil {
			return err
		}
	}
	for i := range fields {
		f, raw := &fields[i], raws[i]
		if raw == nil || string(raw) == "null" {
			if f.presence == Required || raw == nil && f.presence == RequiredNullable {
				return at(f.name, ErrRequired)
			}
			continue
		}
		if decodeFast(raw, f.value.ptr()) {
			continue
		}
		if err := decodeValue(raw, f.value.ptr()); err != nil {
			return at(f.name, err)
		}
	}
	return nil
}

// splitWithJSON is splitObject by way of encoding/json, for what
// splitObject leaves to it: invalid JSON, other JSON than an object, and
// keys with escapes.
func splitWithJSON(b []byte, fields []Field, raws [][]byte) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		return describe(err)
	}
	for i := range fields {
		raws[i] = obj[fields[i].name]
	}
	return nil
}

// decodeValue decodes raw into ptr. When that fails on a list or a map it
// decodes again element by element, so that the error names the failing
// element: encoding/json does not say which one it was.
func decodeValue(raw []byte, ptr any) error {
	err := json.Unmarshal(raw, ptr)
	if err == nil {
		return nil
	}
	elemType := reflect.TypeOf(ptr).Elem()
	switch {
	case elemType.Kind() == reflect.Slice && strings.HasPrefix(string(raw), "["):
		var elems []json.RawMessage
		if json.Unmarshal(raw, &elems) == nil {
			for i, e := range elems {
				if err := decodeValue(e, reflect.New(elemType.Elem()).Interface()); err != nil {
					return at(fmt.Sprintf("[%d]", i), err)
				}
			}
		}
	case elemType.Kind() == reflect.Map && strings.HasPrefix(string(raw), "{"):
		var elems map[string]json.RawMessage
		if json.Unmarshal(raw, &elems) == nil {
			for _, k := range slices.Sorted(maps.Keys(elems)) {
				if err := decodeValue(elems[k], reflect.New(elemType.Elem()).Interface()); err != nil {
					return at("["+k+"]", err)
				}
			}
		}
	}
	isTime := elemType == reflect.TypeFor[time.Time]() || elemType == reflect.TypeFor[*time.Time]()
	if isTime && raw[0] != '"' {
		// time.Time's own error for a non-string says nothing of the JSON.
		return fmt.Errorf("got %s, want an RFC 3339 timestamp string", rawKind(raw))
	}
	return describe(err)
}

// describe turns the errors of encoding/json and of time.Time's decoding
// into short messages about the JSON, not the Go types behind it. Errors
// of generated UnmarshalJSON methods pass unchanged.
func describe(err error) error {
	switch e := err.(type) {
	case *json.UnmarshalTypeError:
		return fmt.Errorf("got %s, want %s", e.Value, jsonKind(e.Type))
	case *time.ParseError:
		return fmt.Errorf("%q is not an RFC 3339 timestamp", e.Value)
	}
	return err
}

// rawKind names the kind of the JSON value raw.
func rawKind(raw []byte) string {
	switch raw[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	}
	return "number"
}

// jsonKind names the JSON a Go type decodes from.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "bool"
	case reflect.Int32, reflect.Int64:
		return "integer (" + t.Kind().String() + ")"
	case reflect.Float64:
		return "number"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return "base64 string"
		}
		return "array"
	case reflect.Map, reflect.Struct:
		return "object"
	}
	return t.String()
}

// DecodeEnum decodes a JSON string into v, rejecting values v's type does
// not list: it is a generated enum's UnmarshalJSON method.
func DecodeEnum[T interface {
	~string
	Validate() error
}](b []byte, v *T) error {
	s, ok := plainString(b)
	if !ok {
		if err := json.Unmarshal(b, &s); err != nil {
			return describe(err)
		}
	}
	if err := T(s).Validate(); err != nil {
		return err
	}
	*v = T(s)
	return nil
}
