package schema

import (
	"cmp"
	"maps"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// resolveConsumes links each `consumes` entry to the producer's event and
// orders Service.Consumes by producer, then file order. With keep, an entry
// naming a service or event the set lacks goes to Service.Unresolved
// instead of being an error.
func (f *file) resolveConsumes(services map[string]*file, keep bool) {
	seen := map[string]*Consumed{} // by event type: a service consumes one version of an event
	for _, ref := range f.consumes {
		emits, declared := f.resolveEmits(ref)
		if keep && f.unresolved(ref, services) {
			f.svc.Unresolved = append(f.svc.Unresolved, &Unresolved{Producer: ref.producer.Value, Event: ref.event.Value, Version: refVersion(ref), Pos: ref.pos})
			continue
		}
		c := f.resolveConsume(ref, services)
		if c == nil {
			continue
		}
		c.Emits, c.EmitsDeclared = emits, declared
		if prev, dup := seen[c.Event.Type]; dup {
			f.e.add(c.Pos, "%s is already consumed at line %d; consume an event once, at one version", c.Event.Type, prev.Pos.Line)
			continue
		}
		seen[c.Event.Type] = c
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
	if ref.version != nil {
		if ev = f.consumedVersion(ev, ref.version); ev == nil {
			return nil
		}
	}
	c := &Consumed{Event: ev, LocalName: ev.Name, Pos: ref.pos}
	if ref.as != nil {
		c.LocalName = ref.as.Value
	}
	return c
}

// consumedVersion is the version of ev a consumes entry's `version:`
// names, or nil (reported) when the producer does not publish it.
func (f *file) consumedVersion(ev *Event, y *yaml.Node) *Event {
	v, ok := f.integer(y, "consumes from "+ev.Service.Name+": "+ev.Name+": version")
	if !ok {
		return nil
	}
	var have []string
	for _, at := range ev.Versions() {
		if at.Version == v {
			return at
		}
		have = append(have, strconv.Itoa(at.Version))
	}
	f.errorf(y, "service %s does not publish %s at version %d (it publishes versions %s); consume one of those, or declare version %d in its contract",
		ev.Service.Name, ev.Name, v, strings.Join(have, ", "), v)
	return nil
}

// unresolved reports whether ref names a producer the set lacks, an
// event its producer does not declare, or a version it does not publish;
// consuming from itself is not that.
func (f *file) unresolved(ref consumeRef, services map[string]*file) bool {
	p, ok := services[ref.producer.Value]
	if ref.producer.Value == f.svc.Name {
		return false
	}
	if !ok {
		return true
	}
	ev := eventNamed(p.svc.Events, ref.event.Value)
	if ev == nil {
		return true
	}
	v := refVersion(ref)
	return v > 0 && !slices.ContainsFunc(ev.Versions(), func(at *Event) bool { return at.Version == v })
}

// refVersion is the entry's `version:` when it is an integer; 0 otherwise,
// and for none.
func refVersion(ref consumeRef) int {
	if ref.version == nil || ref.version.Tag != "!!int" {
		return 0
	}
	v, _ := strconv.Atoi(ref.version.Value)
	return v
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
