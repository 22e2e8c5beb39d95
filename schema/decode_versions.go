package schema

import (
	"cmp"
	"slices"
	"strconv"

	"gopkg.in/yaml.v3"
)

var olderVersionKeys = []string{"doc", "deprecated", "fields"}

// decodeOlderVersions reads `older_versions:`, the versions a producer
// still publishes beside the event's `version:` during a migration: a
// mapping from version number to that version's doc, deprecated and
// fields. Each older version shares the event's key; ev.Version must be
// final, as every older version must be lower.
func (f *file) decodeOlderVersions(ev *Event, y *yaml.Node, key *yaml.Node) {
	what := "event " + ev.Name + ": older_versions"
	for _, en := range f.entries(y, what) {
		v, err := strconv.Atoi(en.key.Value)
		switch {
		case en.key.Tag != "!!int" || err != nil || v < 1:
			f.errorf(en.key, "%s: %q is not a version; write each older version as a number of at least 1: {1: {fields: ...}}", what, clip(en.key.Value))
			continue
		case v >= ev.Version:
			f.errorf(en.key, "%s: version %d is not older than the event's version %d; raise `version:` to the newest version", what, v, ev.Version)
			continue
		}
		old := &Event{Service: ev.Service, Name: ev.Name, Type: ev.Type, Version: v, Fields: []*Field{}, Pos: f.pos(en.key), Latest: ev}
		f.decodeOlderVersion(old, en.val)
		if key != nil {
			f.keys = append(f.keys, keyRef{event: old, node: key})
		}
		ev.Older = append(ev.Older, old)
	}
	slices.SortFunc(ev.Older, func(a, b *Event) int { return cmp.Compare(a.Version, b.Version) })
}

// decodeOlderVersion reads one older version's keys.
func (f *file) decodeOlderVersion(old *Event, y *yaml.Node) {
	what := "event " + old.Name + " v" + strconv.Itoa(old.Version)
	m := f.known(y, what, olderVersionKeys...)
	old.Doc = f.doc(m, what+": doc")
	old.Deprecated = f.deprecated(m, what+": deprecated")
	if en, ok := m["fields"]; ok {
		old.Fields = f.decodeFields(en.val, what)
	}
}
