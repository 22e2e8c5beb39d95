package templates

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/evgenhq/evgen/schema"
)

// emitEvent renders an event: its struct, the methods that identify it on
// the wire (runtime.Event and, with a key, runtime.Keyed), Validate,
// UnmarshalJSON, and the fields table behind the last two.
func emitEvent(f *jen.File, p *schema.Package, d *schema.EventDecl) error {
	ev := d.Event
	doc := docComment(eventSummary(d), ev.Doc, deprecation(ev.Deprecated))
	identify := "EventType and EventVersion identify "
	if ev.Key != nil {
		identify = "EventType, EventVersion and EventKey identify "
	}
	identify += d.GoName + " on the wire."
	if err := emitStructDecl(f, p, d.GoName, ev.Fields, doc); err != nil {
		return err
	}
	f.Line()
	f.Comment("// " + identify)
	f.Comment("// Validate reports the first field, in contract order, that breaks the contract.")
	f.Func().Params(jen.Id(d.GoName)).Id("EventType").Params().String().Add(oneLine(jen.Return(jen.Lit(ev.Type))))
	f.Func().Params(jen.Id(d.GoName)).Id("EventVersion").Params().Int().Add(oneLine(jen.Return(jen.Lit(ev.Version))))
	if ev.Key != nil {
		key, err := keyExpr(ev.Key)
		if err != nil {
			return err
		}
		f.Func().Params(jen.Id("e").Id(d.GoName)).Id("EventKey").Params().String().Add(oneLine(jen.Return(key)))
	}
	for _, m := range validateAndDecode(d.GoName, "e") {
		f.Add(m)
	}
	f.Line()
	if err := emitFields(f, p, d.GoName, "e", ev.Fields); err != nil {
		return err
	}
	f.Line()
	return nil
}

// eventSummary is the first sentence of an event's doc comment.
func eventSummary(d *schema.EventDecl) string {
	ev := d.Event
	s := fmt.Sprintf("%s is the event %s, version %d", d.GoName, ev.Type, ev.Version)
	if ev.Key != nil {
		s += ", keyed by " + ev.Key.Name
	}
	if ev.Snapshot {
		s += ", carrying its full state"
	}
	return s + "."
}

// keyExpr is EventKey's result: the key field as a string, integers in
// decimal.
func keyExpr(key *schema.Field) (jen.Code, error) {
	v := jen.Id("e").Dot(key.GoName)
	switch key.Type.Kind {
	case schema.KindString, schema.KindUUID:
		return v, nil
	case schema.KindInt32:
		return jen.Qual(pkgStrconv, "FormatInt").Call(jen.Int64().Call(v), jen.Lit(10)), nil
	case schema.KindInt64:
		return jen.Qual(pkgStrconv, "FormatInt").Call(v, jen.Lit(10)), nil
	}
	return nil, fmt.Errorf("key %s: a key must be a string, uuid, int32 or int64", key.Name)
}
