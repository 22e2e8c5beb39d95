package templates

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/evgenhq/evgen/schema"
)

// publishVersionsBody makes every older version of d's event from e,
// copying fields where the older version is a subset and asking the
// Converter where not, then publishes them all with runtime.PublishVersions.
func publishVersionsBody(p *schema.Package, d *schema.EventDecl) []jen.Code {
	var body []jen.Code
	events := []jen.Code{jen.Op("&").Id("e")}
	for _, od := range olderDecls(p, d.Event) {
		v := "v" + strconv.Itoa(od.Event.Version)
		events = append(events, jen.Op("&").Id(v))
		if od.Convert == "" {
			body = append(body, jen.Id(v).Op(":=").Id(od.GoName).Values(copyFields(od.Event)))
			continue
		}
		body = append(body, convertOlder(d, od, v)...)
	}
	all := jen.Index().Qual(pkgRuntime, "Event").Values(events...)
	return append(body, jen.Return(jen.Qual(pkgRuntime, "PublishVersions").Call(jen.Id("ctx"), jen.Id("p").Dot("p"), all, jen.Id("opts").Op("..."))))
}

// olderDecls are the package's declarations of ev's older versions,
// newest first, the order runtime.PublishVersions takes them in.
func olderDecls(p *schema.Package, ev *schema.Event) []*schema.EventDecl {
	var out []*schema.EventDecl
	for _, at := range ev.Versions()[1:] {
		for _, d := range p.Events {
			if d.Own && d.Event == at {
				out = append(out, d)
			}
		}
	}
	return out
}

// copyFields are the fields of an older version that is a subset of the
// newest, copied from e.
func copyFields(old *schema.Event) jen.Dict {
	dict := jen.Dict{}
	for _, fd := range old.Fields {
		dict[jen.Id(fd.GoName)] = jen.Id("e").Dot(fd.GoName)
	}
	return dict
}

// convertOlder asks the Converter for an older version; a Publisher made
// without one reports it rather than panicking.
func convertOlder(d, od *schema.EventDecl, v string) []jen.Code {
	what := fmt.Sprintf("%s v%d to v%d", d.Event.Type, d.Event.Version, od.Event.Version)
	return []jen.Code{
		jen.If(jen.Id("p").Dot("c").Op("==").Nil()).Block(
			jen.Return(jen.Qual(pkgErrors, "New").Call(jen.Lit(fmt.Sprintf("publish %s v%d: the Publisher has no %s; pass one to NewPublisher", od.Event.Type, od.Event.Version, schema.ConverterName)))),
		),
		jen.List(jen.Id(v), jen.Err()).Op(":=").Id("p").Dot("c").Dot(od.Convert).Call(jen.Id("e")),
		jen.If(jen.Err().Op("!=").Nil()).Block(
			jen.Return(jen.Qual(pkgFmt, "Errorf").Call(jen.Lit("convert "+what+": %w"), jen.Err())),
		),
	}
}

// emitConverter renders the Converter interface: one method per older
// version that is no subset of its newest.
func emitConverter(f *jen.File, p *schema.Package) {
	var methods []jen.Code
	for _, d := range p.Events {
		if d.Convert == "" {
			continue
		}
		latest := d.Event.Latest
		doc := fmt.Sprintf("// %s makes version %d of %s from version %d, for the consumers still on it.", d.Convert, d.Event.Version, latest.Type, latest.Version)
		methods = append(methods, jen.Comment(doc).Line().Id(d.Convert).Params(jen.Id("e").Id(latest.Name)).Params(jen.Id(d.GoName), jen.Error()))
	}
	f.Comment("// " + schema.ConverterName + " makes the older versions of events that are no subset of")
	f.Comment("// their newest (a field removed, renamed or of another type), so that the")
	f.Comment("// Publisher can publish every declared version from one call. NewPublisher")
	f.Comment("// takes one; an error from a method fails the publish.")
	f.Type().Id(schema.ConverterName).Interface(methods...)
}

// versionList writes an event's versions for comments, newest first.
func versionList(ev *schema.Event) string {
	var vs []string
	for _, at := range ev.Versions() {
		vs = append(vs, "v"+strconv.Itoa(at.Version))
	}
	return strings.Join(vs, ", ")
}
