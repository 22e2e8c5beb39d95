package wire

// Presence is how a decoded JSON object must carry a field.
type Presence uint8

const (
	// Required fields must be present and not null.
	Required Presence = iota
	// RequiredNullable fields must be present; null reads as empty. It is
	// for required lists, maps and bytes, whose nil value encodes as null.
	RequiredNullable
	// Optional fields may be missing or null.
	Optional
)

// Field is one row of the fields table a generated struct lists: the wire
// name, where the Go field is, how it must appear in JSON, and the checks
// of its value. Validate and DecodeObject read the same table, so
// validation and decoding cannot disagree. Build it with FieldOf.
type Field struct {
	name     string
	value    target
	presence Presence
	// checks holds up to two func(T) error, the most generated code
	// passes; storing func values in interfaces does not allocate, where
	// a closure over a slice of them would, on every call.
	checks [2]any
}

// target is a typed pointer to a struct field, behind an interface so
// that one table can hold fields of every type. Its implementation, ref,
// is a single pointer, so making a target does not allocate.
type target interface {
	ptr() any
	check(c any) error
}

// ref is the target of a *T.
type ref[T any] struct{ p *T }

func (r ref[T]) ptr() any { return r.p }

func (r ref[T]) check(c any) error { return c.(func(T) error)(*r.p) }

// FieldOf describes the field with wire name name, held at p, with
// presence pr and the checks of its value, run in order by Validate.
func FieldOf[T any](name string, p *T, pr Presence, checks ...func(T) error) Field {
	f := Field{name: name, value: ref[T]{p}, presence: pr}
	switch len(checks) {
	case 0:
	case 1:
		f.checks[0] = checks[0]
	case 2:
		f.checks[0], f.checks[1] = checks[0], checks[1]
	default:
		f.checks[0] = all(checks)
	}
	return f
}

// all is the checks cs as one, for the rare field with more than two.
// It copies cs so that the caller's variadic slice can stay on its stack.
func all[T any](cs []func(T) error) func(T) error {
	own := append([]func(T) error(nil), cs...)
	return func(v T) error { return run(v, own) }
}

// Validate reports the first field of fields, in table order, whose
// checks fail, under the field's path. A generated Validate method is
// Validate over its fields table.
func Validate(fields []Field) error {
	for i := range fields {
		f := &fields[i]
		for _, c := range f.checks {
			if c == nil {
				break
			}
			if err := f.value.check(c); err != nil {
				return at(f.name, err)
			}
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
