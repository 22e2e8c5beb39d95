package schema

import (
	"gopkg.in/yaml.v3"
)

// decodeConsumes reads the `consumes:` section: producer service -> a list
// of its events, each a name or {event: Name, version: N, as: LocalName,
// emits: [...]}.
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
		m := f.known(item, "a consumes entry", "event", "version", "as", "emits")
		en, ok := m["event"]
		if !ok {
			f.errorf(item, "%s: an entry with `version:`, `as:` or `emits:` also needs `event:`, the producer's event name", what)
			return
		}
		ref.event = en.val
		if v, ok := m["version"]; ok {
			ref.version = v.val
		}
		if as, ok := m["as"]; ok {
			ref.as = as.val
		}
		if em, ok := m["emits"]; ok && f.emitsList(em.val, what) {
			ref.emits = em.val
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

// emitsList checks that `emits:` is a list of event names.
func (f *file) emitsList(y *yaml.Node, what string) bool {
	if !f.is(y, yaml.SequenceNode, what+": emits") {
		return false
	}
	ok := true
	for _, n := range y.Content {
		if _, isText := f.text(n, what+": emits: event name"); !isText {
			ok = false
		}
	}
	return ok
}
