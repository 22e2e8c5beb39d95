package templates

import (
	"github.com/dave/jennifer/jen"

	"github.com/evgenhq/evgen/schema"
)

// fieldChecks are the checks of a field's value: presence for a required
// field whose zero value is not a value of its type, then its format.
// An optional field's checks run only when it is set.
func fieldChecks(p *schema.Package, fd *schema.Field) []jen.Code {
	cs := valueChecks(p, fd.Type)
	if !fd.Optional && zeroIsAbsent(fd.Type) {
		cs = append([]jen.Code{jen.Qual(pkgWire, "NonZero")}, cs...)
	}
	if isPointer(fd) && len(cs) > 0 {
		cs = []jen.Code{jen.Qual(pkgWire, "IfSet").Call(cs...)}
	}
	return cs
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
