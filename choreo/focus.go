package choreo

import (
	"fmt"
	"slices"
	"strings"
)

// Focus returns the neighbourhood of one service: the service, the events
// it publishes and consumes, the events other services publish in
// reaction to its own, the services that produce what it consumes or
// consume what it publishes, and the edges among all these. It is an
// error for a service the graph lacks.
func (g *Graph) Focus(name string) (*Graph, error) {
	if _, ok := g.Service(name); !ok {
		return nil, fmt.Errorf("no service %q in the contract set; it has: %s", name, strings.Join(g.ServiceNames(), ", "))
	}
	own, consumed := map[string]bool{}, map[string]bool{}
	for _, e := range g.Edges {
		switch {
		case e.Kind == Publishes && e.From == name:
			own[e.To] = true
		case e.Kind == Consumes && e.To == name:
			consumed[e.From] = true
		}
	}
	services := map[string]bool{name: true}
	for _, e := range g.Edges {
		if e.Kind == Publishes && consumed[e.To] || e.Kind == Consumes && own[e.From] {
			services[endpointService(e)] = true
		}
	}
	events := map[string]bool{}
	for t := range own {
		events[t] = true
	}
	for t := range consumed {
		events[t] = true
	}
	// What another service publishes in reaction to one of the service's
	// events stays in the picture, so that a compensation is not cut off.
	for _, e := range g.Edges {
		if e.Kind == ReactsWith && own[e.From] {
			events[e.To] = true
		}
	}
	keep := func(id string) bool { return services[id] || events[id] }
	out := &Graph{}
	for _, s := range g.Services {
		if services[s.Name] {
			out.Services = append(out.Services, s)
		}
	}
	for _, ev := range g.Events {
		if events[ev.Type] {
			out.Events = append(out.Events, ev)
		}
	}
	out.Edges = slices.DeleteFunc(slices.Clone(g.Edges), func(e Edge) bool { return !keep(e.From) || !keep(e.To) })
	return out, nil
}

// endpointService is the service end of a Publishes or Consumes edge.
func endpointService(e Edge) string {
	if e.Kind == Publishes {
		return e.From
	}
	return e.To
}
