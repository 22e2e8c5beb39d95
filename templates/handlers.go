package templates

import (
	"github.com/dave/jennifer/jen"

	"github.com/evgenhq/evgen/schema"
)

// emitHandlers renders handlers.evgen.go: the Handlers interface, with one
// method per consumed event, and RegisterHandlers, which dispatches each
// event type to its method through runtime.On.
func emitHandlers(f *jen.File, p *schema.Package) error {
	var methods, ons []jen.Code
	for _, d := range p.Events {
		if d.Own {
			continue
		}
		m := "Handle" + d.GoName
		methods = append(methods, jen.Comment("// "+m+" handles "+d.Event.Type+".").Line().Id(m).Params(
			jen.Id("ctx").Qual(pkgContext, "Context"),
			jen.Id("e").Id(d.GoName),
			jen.Id("m").Qual(pkgRuntime, "Meta"),
		).Error())
		ons = append(ons, jen.Qual(pkgRuntime, "On").Call(jen.Id("h").Dot(m)))
	}
	svc := p.Service.Name
	f.Comment("// Handlers handles the events the " + svc + " service consumes, one method per")
	f.Comment("// event. A method's error makes the runtime retry the event; see runtime.On.")
	f.Type().Id("Handlers").Interface(methods...)
	f.Line()
	f.Comment("// RegisterHandlers registers h with r, so that each consumed event is")
	f.Comment("// dispatched to its method of h.")
	args := append([]jen.Code{jen.Id("r")}, ons...)
	f.Func().Id("RegisterHandlers").Params(jen.Id("r").Qual(pkgRuntime, "Registrar"), jen.Id("h").Id("Handlers")).Error().Block(
		jen.Return(jen.Qual(pkgRuntime, "RegisterAll").Add(lines("(", ")", args))),
	)
	return nil
}
