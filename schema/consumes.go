package schema

import (
	"cmp"
	"maps"
	"slices"
)

// resolveConsumes links each `consumes` entry to the producer's event and
// orders Service.Consumes by producer, then file order.
func (f *file) resolveConsumes(services map[string]*file) {
	seen := map[*Event]*Consumed{}
	for _, ref := range f.consumes {
		c := f.resolveConsume(ref, services)
		if c == nil {
			continue
		}
		if prev, dup := seen[c.Event]; dup {
			f.e.add(c.Pos, "%s is already consumed at line %d; consume an event once", c.Event.Type, prev.Pos.Line)
			continue
		}
		seen[c.Event] = c
		f.svc.Consumes = append(f.svc.Consumes, c)
	}
	slices.SortStableFunc(f.svc.Consumes, func(a, b *Consumed) int {
		return cmp.Compare(a.Event.Service.Name, b.Event.Service.Name)
	})
}

// resolveConsume finds the event one entry names.
func (f *file) resolveConsume(ref consumeRef, services map[string]*file) *Consumed {
	producer := ref.producer.Value
	p, ok := services[producer]
	switch {
	case producer == f.svc.Name:
		f.errorf(ref.producer, "service %s consumes from itself; handle its own events in-process instead", producer)
		return nil
	case !ok:
		f.errorf(ref.producer, "consumes from unknown service %q%s; load its contract in the same set",
			clip(producer), didYouMean(producer, slices.Sorted(maps.Keys(services))))
		return nil
	}
	name := ref.event.Value
	ev := eventNamed(p.svc.Events, name)
	if ev == nil {
		f.errorf(ref.event, "service %s has no event %q%s", producer, clip(name), didYouMean(name, eventNames(p.svc.Events)))
		return nil
	}
	c := &Consumed{Event: ev, LocalName: ev.Name, Pos: ref.pos}
	if ref.as != nil {
		c.LocalName = ref.as.Value
	}
	return c
}

func eventNamed(events []*Event, name string) *Event {
	for _, ev := range events {
		if ev.Name == name {
			return ev
		}
	}
	return nil
}

func eventNames(events []*Event) []string {
	out := make([]string, len(events))
	for i, ev := range events {
		out[i] = ev.Name
	}
	return out
}
