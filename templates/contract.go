package templates

import (
	"github.com/dave/jennifer/jen"

	"github.com/evgenhq/evgen/schema"
)

// emitContract renders contract.evgen.go: the package documentation and
// Contract, the descriptor the runtime declares RabbitMQ topology from.
func emitContract(f *jen.File, p *schema.Package) error {
	svc := p.Service
	f.PackageComment("Package " + p.Name + " is the typed event API of the " + svc.Name + " service, generated")
	f.PackageComment("by evgen from its contract and the contracts of the services it consumes from:")
	f.PackageComment("event types, a Publisher for its own events, a Handlers interface for the")
	f.PackageComment("events it consumes, and the glue for re-announcing state and syncing from")
	f.PackageComment("event logs where the contracts call for them.")
	var pubs, cons []jen.Code
	for _, d := range p.Events {
		if d.Own {
			pubs = append(pubs, jen.Values(eventInfo(d.Event)...))
		}
	}
	for _, c := range svc.Consumes {
		cons = append(cons, jen.Values(append(eventInfo(c.Event), emits(c)...)...))
	}
	fields := []jen.Code{jen.Id("Service").Op(":").Lit(svc.Name)}
	if len(pubs) > 0 {
		fields = append(fields, jen.Id("Publishes").Op(":").Index().Qual(pkgRuntime, "EventInfo").Add(lines("{", "}", pubs)))
	}
	if len(cons) > 0 {
		fields = append(fields, jen.Id("Consumes").Op(":").Index().Qual(pkgRuntime, "EventInfo").Add(lines("{", "}", cons)))
	}
	f.Comment("// Contract describes the " + svc.Name + " service to the runtime: the events it")
	f.Comment("// publishes and those it consumes, by producer.")
	f.Var().Id("Contract").Op("=").Qual(pkgRuntime, "Contract").Add(lines("{", "}", fields))
	return nil
}

// eventInfo are the runtime.EventInfo fields of ev, in the producer's
// names, whatever the consumer calls it locally.
func eventInfo(ev *schema.Event) []jen.Code {
	fields := []jen.Code{
		jen.Id("Producer").Op(":").Lit(ev.Service.Name),
		jen.Id("Name").Op(":").Lit(ev.Name),
		jen.Id("Type").Op(":").Lit(ev.Type),
		jen.Id("Version").Op(":").Lit(ev.Version),
	}
	if ev.Key != nil {
		fields = append(fields, jen.Id("Key").Op(":").Lit(ev.Key.Name))
	}
	if ev.OrderBy != nil {
		fields = append(fields, jen.Id("OrderBy").Op(":").Lit(ev.OrderBy.Name))
	}
	return fields
}

// emits are the EventInfo fields declaring c's reactions, the emitted
// events' wire types; none when the contract declares no reactions.
func emits(c *schema.Consumed) []jen.Code {
	if !c.EmitsDeclared {
		return nil
	}
	types := make([]jen.Code, len(c.Emits))
	for i, ev := range c.Emits {
		types[i] = jen.Lit(ev.Type)
	}
	return []jen.Code{
		jen.Id("Emits").Op(":").Index().String().Values(types...),
		jen.Id("EmitsDeclared").Op(":").True(),
	}
}
