package templates

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/evgenhq/evgen/schema"
)

// emitFields renders the fields method of a struct: one row per field, in
// contract order, with its wire name, presence and checks. Validate and
// UnmarshalJSON both read this table through runtime/wire.
func emitFields(f *jen.File, p *schema.Package, name, recv string, fields []*schema.Field) error {
	sig := jen.Func().Params(jen.Id(recv).Op("*").Id(name)).Id("fields").Params().Index().Qual(pkgWire, "Field")
	if len(fields) == 0 {
		f.Add(sig.Add(oneLine(jen.Return(jen.Nil()))))
		return nil
	}
	var rows []jen.Code
	for _, fd := range fields {
		checks, err := fieldChecks(p, fd)
		if err != nil {
			return fmt.Errorf("field %s: %w", fd.Name, err)
		}
		args := []jen.Code{jen.Lit(fd.Name), jen.Op("&").Id(recv).Dot(fd.GoName), jen.Qual(pkgWire, presence(fd))}
		rows = append(rows, jen.Qual(pkgWire, "FieldOf").Call(append(args, checks...)...))
	}
	f.Add(sig.Block(jen.Return(jen.Index().Qual(pkgWire, "Field").Add(lines("{", "}", rows)))))
	return nil
}

// validateAndDecode are the Validate and UnmarshalJSON methods of a
// struct, one line each over its fields method.
func validateAndDecode(name, recv string) []jen.Code {
	return []jen.Code{
		jen.Func().Params(jen.Id(recv).Id(name)).Id("Validate").Params().Error().
			Add(oneLine(jen.Return(jen.Qual(pkgWire, "Validate").Call(jen.Id(recv).Dot("fields").Call())))),
		jen.Func().Params(jen.Id(recv).Op("*").Id(name)).Id("UnmarshalJSON").Params(jen.Id("b").Index().Byte()).Error().
			Add(oneLine(jen.Return(jen.Qual(pkgWire, "DecodeObject").Call(jen.Id("b"), jen.Id(recv).Dot("fields").Call())))),
	}
}
