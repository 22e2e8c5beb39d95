package templates

import (
	"github.com/dave/jennifer/jen"

	"github.com/evgenhq/evgen/schema"
)

// hasSnapshots reports whether the service owns events marked
// `snapshot: true`.
func hasSnapshots(p *schema.Package) bool {
	for _, d := range p.Events {
		if d.Own && d.Event.Snapshot {
			return true
		}
	}
	return false
}

// emitSnapshot renders snapshot.evgen.go: SnapshotSource, with one method
// per snapshot event, and RegisterSnapshots, through which the service
// answers consumers' resync requests (runtime/service's
// Service.RequestResync).
func emitSnapshot(f *jen.File, p *schema.Package) error {
	var methods, providers []jen.Code
	for _, d := range p.Events {
		if !d.Own || !d.Event.Snapshot {
			continue
		}
		m := "Snapshot" + d.GoName
		methods = append(methods, jen.Comment("// "+m+" calls emit with the current "+d.GoName+" of every entity, or").Line().
			Comment("// only of those whose key is in keys when keys is not empty.").Line().
			Id(m).Params(
			jen.Id("ctx").Qual(pkgContext, "Context"),
			jen.Id("keys").Index().String(),
			jen.Id("emit").Func().Params(jen.Id(d.GoName)).Error(),
		).Error())
		providers = append(providers, jen.Qual(pkgRuntime, "SnapshotOf").Call(jen.Id("src").Dot(m)))
	}
	svc := p.Service.Name
	f.Comment("// SnapshotSource re-announces the current state of the " + svc + " service's")
	f.Comment("// entities, one method per event that carries an entity's full state.")
	f.Type().Id("SnapshotSource").Interface(methods...)
	f.Line()
	f.Comment("// RegisterSnapshots registers src with r, so that the service answers a")
	f.Comment("// consumer's resync request by publishing these events to that consumer alone.")
	args := append([]jen.Code{jen.Id("r")}, providers...)
	f.Func().Id("RegisterSnapshots").Params(jen.Id("r").Qual(pkgRuntime, "SnapshotRegistrar"), jen.Id("src").Id("SnapshotSource")).Error().Block(
		jen.Return(jen.Qual(pkgRuntime, "RegisterSnapshots").Add(lines("(", ")", args))),
	)
	return nil
}

// emitSync renders sync.evgen.go: SyncAll, which syncs the service from
// the event log of every producer it consumes from.
func emitSync(f *jen.File, p *schema.Package) error {
	var producers []jen.Code
	seen := map[string]bool{}
	for _, c := range p.Service.Consumes {
		if name := c.Event.Service.Name; !seen[name] {
			seen[name] = true
			producers = append(producers, jen.Lit(name))
		}
	}
	f.Comment("// SyncAll reads the event log of every service " + p.Service.Name + " consumes from, in turn,")
	f.Comment("// through svc's handlers and inbox, up to each log's end as of the start;")
	f.Comment("// see runtime.Syncer, which runtime/service's Service implements. Register the")
	f.Comment("// handlers first.")
	f.Func().Id("SyncAll").Params(
		jen.Id("ctx").Qual(pkgContext, "Context"),
		jen.Id("svc").Qual(pkgRuntime, "Syncer"),
		jen.Id("from").Qual(pkgRuntime, "SyncFrom"),
		jen.Id("opts").Qual(pkgRuntime, "SyncOptions"),
	).Error().Block(
		jen.For(jen.List(jen.Id("_"), jen.Id("producer")).Op(":=").Range().Index().String().Values(producers...)).Block(
			jen.If(jen.List(jen.Id("_"), jen.Id("err")).Op(":=").Id("svc").Dot("Sync").Call(
				jen.Id("ctx"), jen.Id("producer"), jen.Id("from"), jen.Id("opts"),
			), jen.Id("err").Op("!=").Nil()).Block(jen.Return(jen.Id("err"))),
		),
		jen.Return(jen.Nil()),
	)
	return nil
}
