package site

import (
	"strings"

	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/schema"
)

// The views are what the page templates read: every name, link and text
// decided here, so that the templates only lay them out.

// page is what every page has.
type page struct {
	Title    string
	Services []link // the navigation: every service
	Graph    picture
}

// link is a labelled link to a page of the site.
type link struct{ Label, Href string }

// indexView is index.html.
type indexView struct {
	Page        page
	Namespace   string
	ServiceRows []serviceRow
	Events      []eventRow
}

type serviceRow struct {
	link
	Summary             string
	Publishes, Consumes int
}

// eventRow is an event in a table: the index's, or a service's.
type eventRow struct {
	link
	Producer   link
	Version    int
	Key        string
	Deprecated string
	Summary    string
	Consumers  []link
}

// serviceView is a service's page.
type serviceView struct {
	Page      page
	Name      string
	Doc       []string // paragraphs
	File      string
	Publishes []eventRow
	Consumes  []consumedRow
	Exchanges []service.ExchangeSpec
	Queues    []queueRow
	Bindings  []service.BindingSpec
}

type consumedRow struct {
	Event      link
	Producer   link
	LocalName  string // "" when the same as the event's name
	RoutingKey string
	Declared   bool   // the entry has emits:, so Emits is all the handler publishes
	Emits      []link // the service's events its handler publishes in reaction
}

// queueRow is a queue the service declares, with what it is for.
type queueRow struct {
	service.QueueSpec
	Role string
}

// eventView is an event's page.
type eventView struct {
	Page        page
	Type, Name  string
	Doc         []string
	Deprecated  string
	Version     int
	RoutingKey  string
	Key         string
	Snapshot    bool
	Producer    link
	Consumers   []consumerRow
	Fields      []fieldRow
	Types       []typeView
	Example     string
	Schema      string // the document evgen jsonschema writes, without its final newline
	SchemaHref  string
	ContractPos string
}

type consumerRow struct {
	Service   link
	LocalName string
}

type fieldRow struct {
	Name       string
	Type       string
	Optional   bool
	Key        bool
	Deprecated string
	Doc        string
}

// typeView is a named type an event's fields use.
type typeView struct {
	Name   string
	Doc    string
	Enum   []string
	Fields []fieldRow
}

func (c *catalog) nav() []link {
	var out []link
	for _, s := range c.set.Services {
		out = append(out, serviceLink(s))
	}
	return out
}

func serviceLink(s *schema.Service) link { return link{s.Name, serviceFile(s.Name)} }

func eventLink(ev *schema.Event) link { return link{ev.Type, eventFile(ev.Type)} }

func (c *catalog) eventRow(ev *schema.Event) eventRow {
	r := eventRow{link: eventLink(ev), Producer: serviceLink(ev.Service), Version: ev.Version,
		Deprecated: ev.Deprecated, Summary: summary(ev.Doc)}
	if ev.Key != nil {
		r.Key = ev.Key.Name
	}
	for _, cs := range c.consumers[ev] {
		r.Consumers = append(r.Consumers, serviceLink(cs.service))
	}
	return r
}

func fieldRows(fields []*schema.Field, key *schema.Field) []fieldRow {
	var out []fieldRow
	for _, fd := range fields {
		out = append(out, fieldRow{Name: fd.Name, Type: fd.Type.String(), Optional: fd.Optional,
			Key: fd == key, Deprecated: fd.Deprecated, Doc: fd.Doc})
	}
	return out
}

// queueRows names what each queue of a plan is for.
func queueRows(p service.TopologyPlan) []queueRow {
	deadLetter := map[string]bool{}
	for _, q := range p.Queues {
		deadLetter[q.DeadLetterTo] = true
	}
	var out []queueRow
	for _, q := range p.Queues {
		role := "requests to re-announce state" // the one other queue Topology declares
		switch {
		case q.Type == service.StreamQueue:
			role = "event log (stream of every event published)"
		case q.DeadLetterTo != "":
			role = "consumed events; rejected ones go to " + q.DeadLetterTo
		case deadLetter[q.Name]:
			role = "dead-letter queue"
		}
		out = append(out, queueRow{q, role})
	}
	return out
}

// paragraphs splits a doc into its paragraphs, joining each one's lines.
func paragraphs(doc string) []string {
	var out []string
	for _, p := range strings.Split(strings.TrimSpace(doc), "\n\n") {
		if p = strings.Join(strings.Fields(p), " "); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// summary is a doc's first paragraph.
func summary(doc string) string {
	if ps := paragraphs(doc); len(ps) > 0 {
		return ps[0]
	}
	return ""
}
