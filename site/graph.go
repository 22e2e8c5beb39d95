package site

import "github.com/evgenhq/evgen/schema"

// graph is the choreography a page draws, in three columns: the services
// that publish (left), their events (middle), and the services that
// consume them (right). A service that publishes and consumes stands on
// both sides. Edges go from a column to the next: producer to event,
// event to consumer.
type graph struct {
	columns [3][]graphNode
	edges   []graphEdge
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

// choreography is the graph of events: each with its producer and every
// consumer, producers in name order, events by producer then file order.
//
// It reads who publishes and consumes each event from the contract model.
// The declared reactions of issue 13 (a consumes entry's `emits:`) become
// edges from a consumer to the events it emits in reaction; the shared
// graph model being added with `evgen graph` holds those, and this is the
// one function to build from it instead once it lands.
func (c *catalog) choreography(events []*schema.Event) graph {
	var g graph
	seen := map[string]bool{}
	add := func(col int, n graphNode) {
		if !seen[n.id] {
			seen[n.id] = true
			g.columns[col] = append(g.columns[col], n)
		}
	}
	consumes := map[*schema.Service]bool{}
	for _, ev := range events {
		p, e := producerNode(ev.Service), eventNode(ev)
		add(0, p)
		add(1, e)
		g.edges = append(g.edges, graphEdge{p.id, e.id})
		for _, cs := range c.consumers[ev] {
			g.edges = append(g.edges, graphEdge{e.id, consumerNode(cs.service).id})
			consumes[cs.service] = true
		}
	}
	for _, s := range c.set.Services { // name order, whatever the events' order
		if consumes[s] {
			add(2, consumerNode(s))
		}
	}
	return g
}

func producerNode(s *schema.Service) graphNode {
	return graphNode{id: "p:" + s.Name, label: s.Name, href: serviceFile(s), kind: "service"}
}

func consumerNode(s *schema.Service) graphNode {
	return graphNode{id: "c:" + s.Name, label: s.Name, href: serviceFile(s), kind: "service"}
}

func eventNode(ev *schema.Event) graphNode {
	return graphNode{id: "e:" + ev.Type, label: ev.Type, href: eventFile(ev), kind: "event"}
}
