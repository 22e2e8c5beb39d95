package site

import "github.com/evgenhq/evgen/schema"

// catalog is a contract set with the one relation the model does not hold
// directly: who consumes each event.
type catalog struct {
	set       *schema.Set
	namespace string
	consumers map[*schema.Event][]consumer // in service name order
}

// consumer is a service that consumes an event, under its local name.
type consumer struct {
	service *schema.Service
	entry   *schema.Consumed
}

func newCatalog(set *schema.Set, namespace string) *catalog {
	c := &catalog{set: set, namespace: namespace, consumers: map[*schema.Event][]consumer{}}
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
