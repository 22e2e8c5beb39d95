package schema

import (
	"gopkg.in/yaml.v3"
)

// decodeConsumes reads the `consumes:` section: producer service -> a list
// of its events, each a name or {event: Name, as: LocalName}.
func (f *file) decodeConsumes(y *yaml.Node) {
	for _, en := range f.entries(y, "consumes") {
		what := "consumes from " + clip(en.key.Value)
		if !f.is(en.val, yaml.SequenceNode, what) {
			continue
		}
		for _, item := range en.val.Content {
			f.decodeConsume(en.key, item, what)
		}
	}
}

// decodeConsume reads one consumed event.
func (f *file) decodeConsume(producer, item *yaml.Node, what string) {
	ref := consumeRef{producer: producer, event: item, pos: f.pos(item)}
	if item.Kind == yaml.MappingNode {
		m := f.known(item, "a consumes entry", "event", "as")
		en, ok := m["event"]
		if !ok {
			f.errorf(item, "%s: an entry with `as:` also needs `event:`, the producer's event name", what)
			return
		}
		ref.event = en.val
		if as, ok := m["as"]; ok {
			ref.as = as.val
		}
	}
	if _, ok := f.text(ref.event, what+": event name"); !ok {
		return
	}
	if ref.as != nil {
		as, ok := f.text(ref.as, what+": as")
		if !ok {
			return
		}
		if !upperCamelRE.MatchString(as) {
			f.errorf(ref.as, "bad local name %q: %s", clip(as), camelHint(as))
			return
		}
	}
	f.consumes = append(f.consumes, ref)
}
