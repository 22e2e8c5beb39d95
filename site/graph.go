package site

import "github.com/evgenhq/evgen/choreo"

// graph is the choreography a page draws, in three columns: the services
// that publish (left), their events (middle), and the services that
// consume them (right). A service that publishes and consumes stands on
// both sides. Edges go from a column to the next: producer to event,
// event to consumer. Reactions join two events of the middle column.
type graph struct {
	columns   [3][]graphNode
	edges     []graphEdge
	reactions []graphReaction
}

// graphNode is a box of the picture, linked to its page.
type graphNode struct {
	id    string // unique in the graph: the column's prefix and the name
	label string
	href  string
	kind  string // "service" or "event", the CSS class
}

// graphEdge joins two nodes by id.
type graphEdge struct{ from, to string }

// graphReaction is a declared reaction: when service by handles the
// event node from, it publishes the event node to.
type graphReaction struct{ from, to, by string }

// columns arranges a choreography in the picture's three columns:
// services in name order, events in the graph's order (by producer, then
// contract order), edges and reactions in the graph's order.
func columns(g *choreo.Graph) graph {
	var out graph
	publishes, consumes := map[string]bool{}, map[string]bool{}
	for _, e := range g.Edges {
		switch e.Kind {
		case choreo.Publishes:
			publishes[e.From] = true
			out.edges = append(out.edges, graphEdge{producerID(e.From), eventID(e.To)})
		case choreo.Consumes:
			consumes[e.To] = true
			out.edges = append(out.edges, graphEdge{eventID(e.From), consumerID(e.To)})
		case choreo.ReactsWith:
			out.reactions = append(out.reactions, graphReaction{eventID(e.From), eventID(e.To), e.By})
		}
	}
	for _, s := range g.Services {
		if publishes[s.Name] {
			out.columns[0] = append(out.columns[0], serviceNode(producerID(s.Name), s.Name))
		}
		if consumes[s.Name] {
			out.columns[2] = append(out.columns[2], serviceNode(consumerID(s.Name), s.Name))
		}
	}
	for _, ev := range g.Events {
		out.columns[1] = append(out.columns[1], graphNode{id: eventID(ev.Type), label: ev.Type, href: eventFile(ev.Type), kind: "event"})
	}
	return out
}

func producerID(service string) string { return "p:" + service }
func consumerID(service string) string { return "c:" + service }
func eventID(typ string) string        { return "e:" + typ }

func serviceNode(id, name string) graphNode {
	return graphNode{id: id, label: name, href: serviceFile(name), kind: "service"}
}

// around is the part of g an event's page draws: the edges that touch the
// event (its producer, its consumers, the reactions to it and those it
// causes) and the nodes they join.
func around(g *choreo.Graph, typ string) *choreo.Graph {
	out := &choreo.Graph{}
	nodes := map[string]bool{}
	for _, e := range g.Edges {
		if e.From == typ || e.To == typ {
			out.Edges = append(out.Edges, e)
			nodes[e.From], nodes[e.To] = true, true
		}
	}
	for _, s := range g.Services {
		if nodes[s.Name] {
			out.Services = append(out.Services, s)
		}
	}
	for _, ev := range g.Events {
		if nodes[ev.Type] {
			out.Events = append(out.Events, ev)
		}
	}
	return out
}
