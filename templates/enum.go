package templates

import (
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/evgenhq/evgen/schema"
)

// emitEnum renders an enum: a string type, a constant per value, Valid,
// Validate, and an UnmarshalJSON that rejects unknown values.
func emitEnum(f *jen.File, d *schema.TypeDecl) {
	name := d.GoName
	var consts, cases []jen.Code
	var wire []string
	for _, v := range d.Type.Enum {
		consts = append(consts, jen.Id(name+v.GoSuffix).Id(name).Op("=").Lit(v.Value))
		cases = append(cases, jen.Id(name+v.GoSuffix))
		wire = append(wire, v.Value)
	}
	f.Add(docComment(typeSummary(d), d.Type.Doc).Type().Id(name).String())
	f.Line()
	f.Comment("// The values of " + name + ".")
	f.Const().Defs(consts...)
	f.Line()
	f.Comment("// Valid reports whether v is one of the values of " + name + ".")
	f.Func().Params(jen.Id("v").Id(name)).Id("Valid").Params().Bool().Block(
		jen.Switch(jen.Id("v")).Block(jen.Case(cases...).Block(jen.Return(jen.True()))),
		jen.Return(jen.False()),
	)
	f.Line()
	f.Comment("// Validate reports v if it is not one of the values of " + name + ".")
	f.Func().Params(jen.Id("v").Id(name)).Id("Validate").Params().Error().Block(
		jen.If(jen.Id("v").Dot("Valid").Call()).Block(jen.Return(jen.Nil())),
		jen.Return(jen.Qual(pkgWire, "UnknownValue").Call(jen.String().Call(jen.Id("v")), jen.Lit(strings.Join(wire, ", ")))),
	)
	f.Line()
	f.Func().Params(jen.Id("v").Op("*").Id(name)).Id("UnmarshalJSON").Params(jen.Id("b").Index().Byte()).Error().Add(
		oneLine(jen.Return(jen.Qual(pkgWire, "DecodeEnum").Call(jen.Id("b"), jen.Id("v")))))
	f.Line()
}
