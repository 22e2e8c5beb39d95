package templates

import (
	"github.com/dave/jennifer/jen"

	"github.com/evgenhq/evgen/schema"
)

// emitUnmarshal renders the UnmarshalJSON method of a struct: a table of
// its fields for decodeObject in support.evgen.go, which ignores unknown
// keys and names the field of every error.
func emitUnmarshal(f *jen.File, name, recv string, fields []*schema.Field) {
	table := jen.Nil()
	if len(fields) > 0 {
		var rows []jen.Code
		for _, fd := range fields {
			rows = append(rows, jen.Values(jen.Lit(fd.Name), jen.Op("&").Id(recv).Dot(fd.GoName), jen.Id(presence(fd))))
		}
		table = jen.Index().Id("jsonField").Add(lines("{", "}", rows))
	}
	f.Func().Params(jen.Id(recv).Op("*").Id(name)).Id("UnmarshalJSON").Params(jen.Id("b").Index().Byte()).Error().Block(
		jen.Return(jen.Id("decodeObject").Call(jen.Id("b"), table)),
	)
}

// presence names how a field must appear in a JSON object. A required
// list, map or bytes field may be null, which is how Go encodes its nil.
func presence(fd *schema.Field) string {
	switch {
	case fd.Optional:
		return "optional"
	case nilable(fd.Type.Kind):
		return "requiredNullable"
	}
	return "required"
}
