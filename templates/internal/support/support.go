// Package support is the source of the support.evgen.go file that evgen
// copies, with its package clause replaced, into every generated package:
// the checks behind the generated Validate methods and the strict decoding
// behind the generated UnmarshalJSON methods. It lives here as a real
// package so that it is compiled, vetted and tested once.
//
// Everything below the package clause is copied verbatim, so it may import
// only the standard library and must declare only unexported names: the
// generated types' exported names then never collide with it.
package support

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"
	"time"
)

// errRequired reports a required field that is missing, null or empty.
var errRequired = errors.New("required")

// pathError is an error at a field path such as "address.city" or
// "lines[2].amount".
type pathError struct {
	path string
	err  error
}

func (e *pathError) Error() string { return e.path + ": " + e.err.Error() }

func (e *pathError) Unwrap() error { return e.err }

// at puts err under path, joining it with the path err already carries.
func at(path string, err error) error {
	if err == nil {
		return nil
	}
	if pe, ok := err.(*pathError); ok {
		if strings.HasPrefix(pe.path, "[") {
			return &pathError{path + pe.path, pe.err}
		}
		return &pathError{path + "." + pe.path, pe.err}
	}
	return &pathError{path, err}
}

// field is one field of a generated struct, as its fields method lists
// it: the wire name, a pointer to the Go field, how the field must appear
// in JSON, and its checks (nil when there is nothing to check). Decoding
// and validation read the same table, so they cannot disagree.
type field struct {
	name     string
	ptr      any
	presence presence
	check    func() error
}

// fieldOf describes the field name held at p, with the checks cs of its
// value.
func fieldOf[T any](name string, p *T, pr presence, cs ...func(T) error) field {
	f := field{name: name, ptr: p, presence: pr}
	if len(cs) > 0 {
		f.check = func() error { return run(*p, cs) }
	}
	return f
}

// validate reports the first field, in contract order, whose checks fail.
func validate(fields []field) error {
	for _, f := range fields {
		if f.check == nil {
			continue
		}
		if err := f.check(); err != nil {
			return at(f.name, err)
		}
	}
	return nil
}

// run returns the first error of the checks cs on v.
func run[T any](v T, cs []func(T) error) error {
	for _, c := range cs {
		if err := c(v); err != nil {
			return err
		}
	}
	return nil
}

// ifSet runs cs on an optional field's value when it is set.
func ifSet[T any](cs ...func(T) error) func(*T) error {
	return func(p *T) error {
		if p == nil {
			return nil
		}
		return run(*p, cs)
	}
}

// eachElem runs cs on every element of a list, naming the failing index.
func eachElem[T any](cs ...func(T) error) func([]T) error {
	return func(l []T) error {
		for i, v := range l {
			if err := run(v, cs); err != nil {
				return at(fmt.Sprintf("[%d]", i), err)
			}
		}
		return nil
	}
}

// eachValue runs cs on every value of a map, in key order so that the
// error reported is the same on every run.
func eachValue[T any](cs ...func(T) error) func(map[string]T) error {
	return func(m map[string]T) error {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if err := run(m[k], cs); err != nil {
				return at("["+k+"]", err)
			}
		}
		return nil
	}
}

// nonZero rejects the zero value of a required field whose zero value is
// not a value of its contract type: an empty string, enum, UUID, decimal,
// date or duration, and the zero timestamp.
func nonZero[T comparable](v T) error {
	var zero T
	if v == zero {
		return errRequired
	}
	return nil
}

// finite rejects NaN and the infinities, which JSON cannot carry.
func finite(f float64) error {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("%v is not a finite number", f)
	}
	return nil
}

// isUUID accepts the 36-character hyphenated form of a UUID, in either case.
func isUUID(s string) error {
	if len(s) != 36 {
		return fmt.Errorf("%q is not a UUID (want 8-4-4-4-12 hex digits)", s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return fmt.Errorf("%q is not a UUID (want 8-4-4-4-12 hex digits)", s)
			}
		case !isHex(c):
			return fmt.Errorf("%q is not a UUID (want 8-4-4-4-12 hex digits)", s)
		}
	}
	return nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// isDecimal accepts an optional minus sign, digits, and an optional
// fraction: "12", "-0.5", "12.50". Exponents and a leading "+" or "." are
// rejected so that every consumer can parse the value the same way.
func isDecimal(s string) error {
	digits := func(s string) bool {
		if s == "" {
			return false
		}
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return false
			}
		}
		return true
	}
	whole, frac, hasFrac := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	if !digits(whole) || hasFrac && !digits(frac) {
		return fmt.Errorf("%q is not a decimal (want digits with an optional fraction, like \"12.50\")", s)
	}
	return nil
}

// isDate accepts a calendar date in the form "2006-01-02".
func isDate(s string) error {
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		return fmt.Errorf("%q is not a date (want YYYY-MM-DD)", s)
	}
	return nil
}

// isDuration accepts a Go duration such as "1h30m" or "250ms".
func isDuration(s string) error {
	if _, err := time.ParseDuration(s); err != nil {
		return fmt.Errorf("%q is not a duration (want a Go duration like \"1h30m\")", s)
	}
	return nil
}

// unknownValue reports an enum value the contract does not list.
func unknownValue(v, want string) error {
	return fmt.Errorf("unknown value %q (want one of %s)", v, want)
}

// presence is how a decoded JSON object must carry a field.
type presence int

const (
	// required: the key must be present and not null.
	required presence = iota
	// requiredNullable: the key must be present; null reads as empty. For
	// required lists, maps and bytes, whose nil value encodes as null.
	requiredNullable
	// optional: the key may be missing or null.
	optional
)

// decodeObject decodes the JSON object b into fields. Unknown keys are
// ignored, so producers can add fields; a missing required field, a value
// of the wrong JSON type or an unknown enum value is an error naming the
// field. Keys match exactly, not case-insensitively as in encoding/json.
func decodeObject(b []byte, fields []field) error {
	if string(b) == "null" {
		return errors.New("got null, want object")
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		return describe(err)
	}
	for _, f := range fields {
		raw, ok := obj[f.name]
		if !ok || string(raw) == "null" {
			if f.presence == required || !ok && f.presence == requiredNullable {
				return at(f.name, errRequired)
			}
			continue
		}
		if err := decodeValue(raw, f.ptr); err != nil {
			return at(f.name, err)
		}
	}
	return nil
}

// decodeValue decodes raw into ptr. When that fails on a list or a map it
// decodes again element by element, so that the error names the failing
// element: encoding/json does not say which one it was.
func decodeValue(raw json.RawMessage, ptr any) error {
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

// decodeEnum decodes a JSON string into v and rejects values v's type does
// not list.
func decodeEnum[T interface {
	~string
	Validate() error
}](b []byte, v *T) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return describe(err)
	}
	if err := T(s).Validate(); err != nil {
		return err
	}
	*v = T(s)
	return nil
}
