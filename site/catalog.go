package site

import (
	"github.com/evgenhq/evgen/choreo"
	"github.com/evgenhq/evgen/schema"
)

// catalog is a contract set with what the pages read that the model does
// not hold directly: who consumes each event, and the choreography graph
// (the one `evgen graph` prints) that the pictures draw.
type catalog struct {
	set       *schema.Set
	namespace string
	consumers map[*schema.Event][]consumer // in service name order
	graph     *choreo.Graph
}

// consumer is a service that consumes an event, under its local name.
type consumer struct {
	service *schema.Service
	entry   *schema.Consumed
}

func newCatalog(set *schema.Set, namespace string) *catalog {
	c := &catalog{set: set, namespace: namespace, consumers: map[*schema.Event][]consumer{},
		graph: choreo.FromSet(set)}
	for _, s := range set.Services {
		for _, cd := range s.Consumes {
			c.consumers[cd.Event] = append(c.consumers[cd.Event], consumer{s, cd})
		}
	}
	return c
}

// events is every event of the set: by producer name, then file order.
func (c *catalog) events() []*schema.Event {
	var out []*schema.Event
	for _, s := range c.set.Services {
		out = append(out, s.Events...)
	}
	return out
}
