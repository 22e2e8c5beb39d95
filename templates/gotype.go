package templates

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/evgenhq/evgen/schema"
)

// goType is the Go type of a contract type expression in package p.
// Decimals, UUIDs, dates and durations are strings on the wire and in Go,
// checked by Validate; see docs/generated-code.md.
func goType(p *schema.Package, t *schema.Type) (jen.Code, error) {
	switch t.Kind {
	case schema.KindString, schema.KindDecimal, schema.KindUUID, schema.KindDate, schema.KindDuration:
		return jen.String(), nil
	case schema.KindBool:
		return jen.Bool(), nil
	case schema.KindInt32:
		return jen.Int32(), nil
	case schema.KindInt64:
		return jen.Int64(), nil
	case schema.KindFloat64:
		return jen.Float64(), nil
	case schema.KindTimestamp:
		return jen.Qual(pkgTime, "Time"), nil
	case schema.KindBytes:
		return jen.Index().Byte(), nil
	case schema.KindList:
		elem, err := goType(p, t.Elem)
		return jen.Index().Add(elem), err
	case schema.KindMap:
		elem, err := goType(p, t.Elem)
		return jen.Map(jen.String()).Add(elem), err
	case schema.KindNamed:
		return jen.Id(p.TypeName(t.Named)), nil
	}
	return nil, fmt.Errorf("unknown type kind %d", t.Kind)
}

// fieldType is the Go type of a field: optional fields are pointers, except
// lists, maps and bytes, whose nil value already means absent.
func fieldType(p *schema.Package, f *schema.Field) (jen.Code, error) {
	t, err := goType(p, f.Type)
	if err != nil {
		return nil, fmt.Errorf("field %s: %w", f.Name, err)
	}
	if isPointer(f) {
		return jen.Op("*").Add(t), nil
	}
	return t, nil
}

// isPointer reports whether f's Go type is a pointer.
func isPointer(f *schema.Field) bool {
	return f.Optional && !nilable(f.Type.Kind)
}

// nilable reports whether the Go type of kind k has nil as a value.
func nilable(k schema.Kind) bool {
	return k == schema.KindList || k == schema.KindMap || k == schema.KindBytes
}

// jsonTag is f's struct tag: its wire name, and omitempty when optional.
func jsonTag(f *schema.Field) map[string]string {
	if f.Optional {
		return map[string]string{"json": f.Name + ",omitempty"}
	}
	return map[string]string{"json": f.Name}
}
