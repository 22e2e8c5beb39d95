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
// answers consumers' resync requests (service.Service.RequestResync).
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
