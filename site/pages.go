package site

import (
	"fmt"
	"strings"

	"github.com/evgenhq/evgen/choreo"
	"github.com/evgenhq/evgen/internal/ordered"
	"github.com/evgenhq/evgen/schema"
	"github.com/evgenhq/evgen/templates/jsonschema"
)

func (c *catalog) indexView() indexView {
	v := indexView{Page: c.page("Event catalog", c.graph, ""), Namespace: c.namespace}
	for _, s := range c.set.Services {
		v.ServiceRows = append(v.ServiceRows, serviceRow{link: serviceLink(s), Summary: summary(s.Doc),
			Publishes: len(s.Events), Consumes: len(s.Consumes)})
	}
	for _, ev := range c.events() {
		v.Events = append(v.Events, c.eventRow(ev))
	}
	return v
}

func (c *catalog) serviceView(s *schema.Service) (serviceView, error) {
	around, err := c.graph.Focus(s.Name)
	if err != nil {
		return serviceView{}, err
	}
	plan := topology(s, c.namespace)
	v := serviceView{Page: c.page("Service "+s.Name, around, serviceFile(s.Name)),
		Name: s.Name, Doc: paragraphs(s.Doc), File: s.File,
		Exchanges: plan.Exchanges, Queues: queueRows(plan), Bindings: plan.Bindings}
	for _, ev := range s.Events {
		v.Publishes = append(v.Publishes, c.eventRow(ev))
	}
	for _, cd := range s.Consumes {
		r := consumedRow{Event: eventLink(cd.Event), Producer: serviceLink(cd.Event.Service), RoutingKey: routingKey(cd.Event),
			Declared: cd.EmitsDeclared}
		for _, ev := range cd.Emits {
			r.Emits = append(r.Emits, eventLink(ev))
		}
		if cd.LocalName != cd.Event.Name {
			r.LocalName = cd.LocalName
		}
		v.Consumes = append(v.Consumes, r)
	}
	return v, nil
}

func (c *catalog) eventView(ev *schema.Event) (eventView, error) {
	ex, err := example(ev)
	if err != nil {
		return eventView{}, err
	}
	js, err := ordered.JSON(jsonschema.Document(ev))
	if err != nil {
		return eventView{}, fmt.Errorf("JSON Schema of %s: %w", ev.Type, err)
	}
	v := eventView{Page: c.page("Event "+ev.Type, around(c.graph, ev.Type), eventFile(ev.Type)),
		Type: ev.Type, Name: ev.Name, Doc: paragraphs(ev.Doc), Deprecated: ev.Deprecated,
		Version: ev.Version, RoutingKey: routingKey(ev), Snapshot: ev.Snapshot,
		Producer: serviceLink(ev.Service), Fields: fieldRows(ev.Fields, ev.Key),
		Types: typesOf(ev), Example: ex, Schema: strings.TrimSuffix(string(js), "\n"), SchemaHref: schemaFile(ev),
		ContractPos: ev.Pos.String()}
	if ev.Key != nil {
		v.Key = ev.Key.Name
	}
	for _, cs := range c.consumers[ev] {
		r := consumerRow{Service: serviceLink(cs.service)}
		if cs.entry.LocalName != ev.Name {
			r.LocalName = cs.entry.LocalName
		}
		v.Consumers = append(v.Consumers, r)
	}
	return v, nil
}

// page is what every page has; g is the part of the choreography it draws.
func (c *catalog) page(title string, g *choreo.Graph, current string) page {
	return page{Title: title, Services: c.nav(), Graph: layout(columns(g), current)}
}

// typesOf are the named types ev's fields use, directly or through other
// types, in file order.
func typesOf(ev *schema.Event) []typeView {
	used := map[*schema.NamedType]bool{}
	var visit func(fields []*schema.Field)
	visit = func(fields []*schema.Field) {
		for _, fd := range fields {
			t := fd.Type
			for t.Kind == schema.KindList || t.Kind == schema.KindMap {
				t = t.Elem
			}
			if t.Kind == schema.KindNamed && !used[t.Named] {
				used[t.Named] = true
				visit(t.Named.Fields)
			}
		}
	}
	visit(ev.Fields)
	var out []typeView
	for _, t := range ev.Service.Types {
		if !used[t] {
			continue
		}
		tv := typeView{Name: t.Name, Doc: t.Doc, Fields: fieldRows(t.Fields, nil)}
		for _, e := range t.Enum {
			tv.Enum = append(tv.Enum, e.Value)
		}
		out = append(out, tv)
	}
	return out
}
