package templates

import (
	"github.com/dave/jennifer/jen"

	"github.com/evgenhq/evgen/schema"
)

// emitPublisher renders publisher.evgen.go: Publisher, with one typed
// method per own event over runtime.Publish.
func emitPublisher(f *jen.File, p *schema.Package) error {
	svc := p.Service.Name
	f.Comment("// Publisher publishes the events of the " + svc + " service. Each method")
	f.Comment("// validates the event before it is sent. It works over any runtime.Publisher:")
	f.Comment("// the broker, an outbox transaction, or the in-process transport.")
	f.Type().Id("Publisher").Struct(jen.Id("p").Qual(pkgRuntime, "Publisher"))
	f.Line()
	f.Comment("// NewPublisher returns a Publisher that sends through p.")
	f.Func().Id("NewPublisher").Params(jen.Id("p").Qual(pkgRuntime, "Publisher")).Op("*").Id("Publisher").Block(
		jen.Return(jen.Op("&").Id("Publisher").Values(jen.Dict{jen.Id("p"): jen.Id("p")})),
	)
	for _, d := range p.Events {
		if !d.Own {
			continue
		}
		f.Line()
		f.Comment("// Publish" + d.GoName + " validates e and publishes it as " + d.Event.Type + ".")
		f.Func().Params(jen.Id("p").Op("*").Id("Publisher")).Id("Publish"+d.GoName).Params(
			jen.Id("ctx").Qual(pkgContext, "Context"),
			jen.Id("e").Id(d.GoName),
			jen.Id("opts").Op("...").Qual(pkgRuntime, "PublishOption"),
		).Error().Block(
			jen.Return(jen.Qual(pkgRuntime, "Publish").Call(jen.Id("ctx"), jen.Id("p").Dot("p"), jen.Op("&").Id("e"), jen.Id("opts").Op("..."))),
		)
	}
	return nil
}
