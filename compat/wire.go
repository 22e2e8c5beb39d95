package compat

import "github.com/evgenhq/evgen/schema"

// readable reports whether a decoder of type reader accepts every value a
// producer of type writer sends. The generated decoders check more than
// JSON: a uuid, decimal, date or duration field rejects other strings, and
// an enum rejects a value it does not list.
func readable(reader, writer *schema.Type) bool {
	if reader.String() == writer.String() {
		return true
	}
	switch reader.Kind {
	case schema.KindString:
		// An enum's values are strings on the wire, too.
		enum := writer.Kind == schema.KindNamed && writer.Named.IsEnum()
		return enum || writer.Kind == schema.KindUUID || writer.Kind == schema.KindDecimal || writer.Kind == schema.KindDate || writer.Kind == schema.KindDuration
	case schema.KindInt64:
		return writer.Kind == schema.KindInt32
	case schema.KindFloat64:
		// Every int32 is exactly a float64; large int64 values are not.
		return writer.Kind == schema.KindInt32
	case schema.KindList, schema.KindMap:
		return writer.Kind == reader.Kind && readable(reader.Elem, writer.Elem)
	case schema.KindNamed:
		return writer.Kind == schema.KindNamed && sameShape(reader.Named, writer.Named)
	}
	return false
}

// sameShape reports whether two differently named types read the same
// JSON: enums whose reader lists every value of the writer, or structs
// with the same fields.
func sameShape(reader, writer *schema.NamedType) bool {
	if reader.IsEnum() != writer.IsEnum() {
		return false
	}
	if reader.IsEnum() {
		for _, v := range writer.Enum {
			if !hasValue(reader, v.Value) {
				return false
			}
		}
		return true
	}
	return signature(reader.Fields) == signature(writer.Fields)
}

// goType is the Go type of a field as templates generates it, to tell
// whether a change breaks code that uses the field.
func goType(t *schema.Type, optional bool) string {
	g := goBase(t)
	if optional && t.Kind != schema.KindList && t.Kind != schema.KindMap && t.Kind != schema.KindBytes {
		return "*" + g
	}
	return g
}

func goBase(t *schema.Type) string {
	switch t.Kind {
	case schema.KindBool:
		return "bool"
	case schema.KindInt32:
		return "int32"
	case schema.KindInt64:
		return "int64"
	case schema.KindFloat64:
		return "float64"
	case schema.KindTimestamp:
		return "time.Time"
	case schema.KindBytes:
		return "[]byte"
	case schema.KindList:
		return "[]" + goBase(t.Elem)
	case schema.KindMap:
		return "map[string]" + goBase(t.Elem)
	case schema.KindNamed:
		return t.Named.Name
	}
	return "string"
}
