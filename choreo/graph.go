package choreo

import (
	"cmp"
	"slices"

	"github.com/evgenhq/evgen/schema"
)

// Graph is a contract set's choreography. Services and events are the
// nodes; an edge's endpoints are a service's Name or an event's Type,
// which cannot be confused (event types hold a dot, service names never).
type Graph struct {
	Services []Service // sorted by name
	Events   []Event   // sorted by producer, then the producer's contract order
	Edges    []Edge    // sorted by kind, then From, then To (see sortEdges)
}

// Service is a service node.
type Service struct {
	Name string
	Doc  string
}

// Event is an event node, owned by its producer.
type Event struct {
	Type     string // the wire type, "users.UserDeleted"; the node's ID
	Name     string // the name in the producer's contract, "UserDeleted"
	Producer string
	Doc      string
}

// EdgeKind says what an edge means.
type EdgeKind int

// The kinds of edges.
const (
	// Publishes goes from a service to an event it owns.
	Publishes EdgeKind = iota
	// Consumes goes from an event to a service that handles it.
	Consumes
	// ReactsWith goes from a consumed event to an event the consumer
	// (By) declares it publishes when it handles it.
	ReactsWith
)

// String names the kind as the docs do: publishes, consumes, reacts-with.
func (k EdgeKind) String() string {
	switch k {
	case Publishes:
		return "publishes"
	case Consumes:
		return "consumes"
	case ReactsWith:
		return "reacts-with"
	}
	return "unknown"
}

// Edge is one relation between two nodes.
type Edge struct {
	Kind     EdgeKind
	From, To string // a service Name or an event Type
	By       string // ReactsWith: the reacting service; "" otherwise
}

// FromSet builds the graph of a validated set.
func FromSet(set *schema.Set) *Graph {
	g := &Graph{}
	for _, svc := range set.Services {
		g.Services = append(g.Services, Service{Name: svc.Name, Doc: svc.Doc})
		for _, ev := range svc.Events {
			g.Events = append(g.Events, Event{Type: ev.Type, Name: ev.Name, Producer: svc.Name, Doc: ev.Doc})
			g.Edges = append(g.Edges, Edge{Kind: Publishes, From: svc.Name, To: ev.Type})
		}
		for _, c := range svc.Consumes {
			g.Edges = append(g.Edges, Edge{Kind: Consumes, From: c.Event.Type, To: svc.Name})
			for _, emitted := range c.Emits {
				g.Edges = append(g.Edges, Edge{Kind: ReactsWith, From: c.Event.Type, To: emitted.Type, By: svc.Name})
			}
		}
	}
	sortEdges(g.Edges)
	return g
}

// sortEdges orders edges so that output does not depend on map or file
// order: by kind, then endpoints.
func sortEdges(es []Edge) {
	slices.SortStableFunc(es, func(a, b Edge) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To), cmp.Compare(a.By, b.By))
	})
}

// Service returns the service node named name.
func (g *Graph) Service(name string) (Service, bool) {
	i := slices.IndexFunc(g.Services, func(s Service) bool { return s.Name == name })
	if i < 0 {
		return Service{}, false
	}
	return g.Services[i], true
}

// ServiceNames are the names of the graph's services, sorted.
func (g *Graph) ServiceNames() []string {
	out := make([]string, len(g.Services))
	for i, s := range g.Services {
		out[i] = s.Name
	}
	return out
}
