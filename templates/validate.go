package templates

import (
	"github.com/dave/jennifer/jen"

	"github.com/evgenhq/evgen/schema"
)

// fieldChecks are the checks of a field's value: presence for a required
// field whose zero value is not a value of its type, then its bounds,
// then its format. An optional field's checks run only when it is set.
func fieldChecks(p *schema.Package, fd *schema.Field) ([]jen.Code, error) {
	bounds, err := boundChecks(p, fd)
	if err != nil {
		return nil, err
	}
	cs := append(bounds, valueChecks(p, fd.Type)...)
	if !fd.Optional && zeroIsAbsent(fd.Type) {
		cs = append([]jen.Code{jen.Qual(pkgWire, "NonZero")}, cs...)
	}
	if isPointer(fd) && len(cs) > 0 {
		cs = []jen.Code{jen.Qual(pkgWire, "IfSet").Call(cs...)}
	}
	return cs, nil
}

// boundChecks are the checks of a field's `min_length:`, `max_length:`
// and `pattern:` (a string), or `min_items:` and `max_items:` (a list).
// An optional list's minimum holds only when the list is set: nil is
// how it is absent.
func boundChecks(p *schema.Package, fd *schema.Field) ([]jen.Code, error) {
	b := fd.Bounds
	var cs []jen.Code
	if b.MinLength > 0 {
		cs = append(cs, jen.Qual(pkgWire, "MinLength").Call(jen.Lit(b.MinLength)))
	}
	if b.MaxLength > 0 {
		cs = append(cs, jen.Qual(pkgWire, "MaxLength").Call(jen.Lit(b.MaxLength)))
	}
	if b.Pattern != "" {
		cs = append(cs, jen.Qual(pkgWire, "Pattern").Call(jen.Id(p.PatternName(b.Pattern))))
	}
	if b.MinItems == 0 && b.MaxItems == 0 {
		return cs, nil
	}
	elem, err := goType(p, fd.Type.Elem)
	if err != nil {
		return nil, err
	}
	if b.MinItems > 0 {
		min := jen.Qual(pkgWire, "MinItems").Types(elem).Call(jen.Lit(b.MinItems))
		if fd.Optional {
			min = jen.Qual(pkgWire, "UnlessNil").Call(min)
		}
		cs = append(cs, min)
	}
	if b.MaxItems > 0 {
		cs = append(cs, jen.Qual(pkgWire, "MaxItems").Types(elem).Call(jen.Lit(b.MaxItems)))
	}
	return cs, nil
}

// valueChecks are the format checks of a value of type t, nested into
// lists and maps.
func valueChecks(p *schema.Package, t *schema.Type) []jen.Code {
	switch t.Kind {
	case schema.KindFloat64:
		return []jen.Code{jen.Qual(pkgWire, "Finite")}
	case schema.KindDecimal:
		return []jen.Code{jen.Qual(pkgWire, "Decimal")}
	case schema.KindUUID:
		return []jen.Code{jen.Qual(pkgWire, "UUID")}
	case schema.KindDate:
		return []jen.Code{jen.Qual(pkgWire, "Date")}
	case schema.KindDuration:
		return []jen.Code{jen.Qual(pkgWire, "Duration")}
	case schema.KindNamed:
		return []jen.Code{jen.Id(p.TypeName(t.Named)).Dot("Validate")}
	case schema.KindList:
		if cs := valueChecks(p, t.Elem); len(cs) > 0 {
			return []jen.Code{jen.Qual(pkgWire, "Each").Call(cs...)}
		}
	case schema.KindMap:
		if cs := valueChecks(p, t.Elem); len(cs) > 0 {
			return []jen.Code{jen.Qual(pkgWire, "EachValue").Call(cs...)}
		}
	}
	return nil
}

// zeroIsAbsent reports whether the Go zero value of t is no value of the
// contract type, so that a required field holding it is missing: an empty
// string, UUID, decimal, date, duration or enum, and the zero timestamp.
func zeroIsAbsent(t *schema.Type) bool {
	switch t.Kind {
	case schema.KindString, schema.KindDecimal, schema.KindUUID, schema.KindDate, schema.KindDuration, schema.KindTimestamp:
		return true
	case schema.KindNamed:
		return t.Named.IsEnum()
	}
	return false
}

// presence names, in runtime/wire, how a field must appear in a JSON object. A required
// list, map or bytes field may be null, which is how Go encodes its nil.
func presence(fd *schema.Field) string {
	switch {
	case fd.Optional:
		return "Optional"
	case nilable(fd.Type.Kind):
		return "RequiredNullable"
	}
	return "Required"
}
