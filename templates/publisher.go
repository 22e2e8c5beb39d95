package templates

import (
	"github.com/dave/jennifer/jen"

	"github.com/evgenhq/evgen/schema"
)

// emitPublisher renders publisher.evgen.go: Publisher, with one typed
// method per own event over runtime.Publish, or runtime.PublishVersions
// for an event declared at older versions too, and the Converter such an
// event needs when an older version is no subset of the newest.
func emitPublisher(f *jen.File, p *schema.Package) error {
	svc := p.Service.Name
	conv := p.NeedsConverter()
	f.Comment("// Publisher publishes the events of the " + svc + " service. Each method")
	f.Comment("// validates the event before it is sent. It works over any runtime.Publisher:")
	f.Comment("// the broker, an outbox transaction, or the in-process transport.")
	f.Type().Id("Publisher").Struct(publisherFields(conv)...)
	f.Line()
	emitNewPublisher(f, conv)
	for _, d := range p.Events {
		if d.Own && d.Event.Latest == nil {
			f.Line()
			emitPublishMethod(f, p, d)
		}
	}
	if conv {
		f.Line()
		emitConverter(f, p)
	}
	return nil
}

func publisherFields(conv bool) []jen.Code {
	fields := []jen.Code{jen.Id("p").Qual(pkgRuntime, "Publisher")}
	if conv {
		fields = append(fields, jen.Id("c").Id(schema.ConverterName))
	}
	return fields
}

// emitNewPublisher renders NewPublisher; with a Converter it takes one,
// so that code built without the conversions does not compile.
func emitNewPublisher(f *jen.File, conv bool) {
	params := []jen.Code{jen.Id("p").Qual(pkgRuntime, "Publisher")}
	values := jen.Dict{jen.Id("p"): jen.Id("p")}
	if !conv {
		f.Comment("// NewPublisher returns a Publisher that sends through p.")
	} else {
		f.Comment("// NewPublisher returns a Publisher that sends through p, and makes the older")
		f.Comment("// versions of events that are no subset of the newest with c.")
		params = append(params, jen.Id("c").Id(schema.ConverterName))
		values[jen.Id("c")] = jen.Id("c")
	}
	f.Func().Id("NewPublisher").Params(params...).Op("*").Id("Publisher").Block(
		jen.Return(jen.Op("&").Id("Publisher").Values(values)),
	)
}

// emitPublishMethod renders Publish<Event> for the newest version of an
// own event.
func emitPublishMethod(f *jen.File, p *schema.Package, d *schema.EventDecl) {
	ev := d.Event
	sig := jen.Func().Params(jen.Id("p").Op("*").Id("Publisher")).Id("Publish"+d.GoName).Params(
		jen.Id("ctx").Qual(pkgContext, "Context"),
		jen.Id("e").Id(d.GoName),
		jen.Id("opts").Op("...").Qual(pkgRuntime, "PublishOption"),
	).Error()
	if len(ev.Older) == 0 {
		f.Comment("// Publish" + d.GoName + " validates e and publishes it as " + ev.Type + ".")
		f.Add(sig.Block(
			jen.Return(jen.Qual(pkgRuntime, "Publish").Call(jen.Id("ctx"), jen.Id("p").Dot("p"), jen.Op("&").Id("e"), jen.Id("opts").Op("..."))),
		))
		return
	}
	f.Comment("// Publish" + d.GoName + " validates e and publishes it as " + ev.Type)
	f.Comment("// at each version the contract declares (" + versionList(ev) + ") in one call of the")
	f.Comment("// runtime.Publisher, so that every consumer gets the version it was built")
	f.Comment("// for; see runtime.PublishVersions for their IDs.")
	f.Add(sig.Block(publishVersionsBody(p, d)...))
}
