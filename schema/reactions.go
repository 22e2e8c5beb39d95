package schema

import (
	"gopkg.in/yaml.v3"
)

// resolveEmits resolves a consumes entry's `emits:` to the consuming
// service's own events, reporting names it does not publish and names
// listed twice. declared is false when the entry has no `emits:`.
func (f *file) resolveEmits(ref consumeRef) (emits []*Event, declared bool) {
	if ref.emits == nil {
		return nil, false
	}
	emits = []*Event{}
	first := map[string]*yaml.Node{}
	for _, n := range ref.emits.Content {
		name := n.Value
		if prev, dup := first[name]; dup {
			f.errorf(n, "%s is listed twice in emits (first at %d:%d); list an event once", name, prev.Line, prev.Column)
			continue
		}
		first[name] = n
		ev := eventNamed(f.svc.Events, name)
		if ev == nil {
			f.errorf(n, "service %s has no event %q to emit%s; emits lists events %s itself publishes in reaction",
				f.svc.Name, clip(name), didYouMean(name, eventNames(f.svc.Events)), f.svc.Name)
			continue
		}
		emits = append(emits, ev)
	}
	return emits, true
}
