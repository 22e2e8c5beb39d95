package schema

import (
	"strconv"

	"gopkg.in/yaml.v3"
)

var eventKeys = []string{"version", "key", "snapshot", "doc", "deprecated", "fields", "older_versions"}

// decodeEvents reads the `events:` section.
func (f *file) decodeEvents(y *yaml.Node) {
	for _, en := range f.entries(y, "events") {
		name := en.key.Value
		ev := &Event{Service: f.svc, Name: name, Version: 1, Fields: []*Field{}, Pos: f.pos(en.key)}
		ev.Type = f.svc.Name + "." + name
		if !upperCamelRE.MatchString(name) {
			f.errorf(en.key, "bad event name %q: %s", clip(name), camelHint(name))
		}
		f.svc.Events = append(f.svc.Events, ev)
		f.decodeEvent(ev, en.val)
	}
}

// decodeEvent reads one event's keys.
func (f *file) decodeEvent(ev *Event, y *yaml.Node) {
	what := "event " + ev.Name
	m := f.known(y, what, eventKeys...)
	if y.Kind != yaml.MappingNode {
		return
	}
	if en, ok := m["version"]; ok {
		ev.Version = f.eventVersion(en.val, what)
	}
	ev.Doc = f.doc(m, what+": doc")
	ev.Deprecated = f.deprecated(m, what+": deprecated")
	if en, ok := m["fields"]; ok {
		ev.Fields = f.decodeFields(en.val, what)
	}
	key, hasKey := m["key"]
	if hasKey {
		f.keys = append(f.keys, keyRef{event: ev, node: key.val})
	}
	if en, ok := m["snapshot"]; ok {
		ev.Snapshot, _ = f.boolean(en.val, what+": snapshot")
		if ev.Snapshot && !hasKey {
			f.errorf(en.val, "%s: snapshot: true needs a key; name the entity's key field with `key:`", what)
		}
	}
	if en, ok := m["older_versions"]; ok {
		f.olderVersions(ev, en, m)
	}
}

// olderVersions reads `older_versions:` once the event's own version is
// known. A snapshot event re-announces one version, so it has none.
func (f *file) olderVersions(ev *Event, en entry, m map[string]entry) {
	if ev.Snapshot {
		f.errorf(en.key, "event %s: a snapshot event cannot declare older_versions: re-announcing state publishes one version; move consumers to version %d, then drop the older one", ev.Name, ev.Version)
		return
	}
	var key *yaml.Node
	if k, ok := m["key"]; ok {
		key = k.val
	}
	f.decodeOlderVersions(ev, en.val, key)
}

// eventVersion reads `version:`, an integer of at least 1.
func (f *file) eventVersion(y *yaml.Node, what string) int {
	v, ok := f.integer(y, what+": version")
	if ok && v < 1 {
		f.errorf(y, "%s: version must be at least 1, not %d", what, v)
	}
	if !ok || v < 1 {
		return 1
	}
	return v
}

// resolveKeys checks each `key:` once field types are resolved: it names a
// required top-level field of type string, uuid, int32 or int64.
func (f *file) resolveKeys() {
	for _, k := range f.keys {
		what := "event " + k.event.label()
		name, ok := f.text(k.node, what+": key")
		if !ok || (k.event.Latest != nil && k.event.Latest.Key == nil) {
			continue // the newest version's problem with its key is reported once
		}
		fd := fieldNamed(k.event.Fields, name)
		switch {
		case fd == nil:
			f.errorf(k.node, "%s: key %q names no field of the event%s", what, clip(name), didYouMean(name, fieldNames(k.event.Fields)))
		case fd.Optional:
			f.errorf(k.node, "%s: key field %q is optional; a key must be a required field", what, name)
		case fd.Type != nil && !keyKinds[fd.Type.Kind]:
			f.errorf(k.node, "%s: key field %q has type %s; a key must be string, uuid, int32 or int64", what, name, fd.Type)
		default:
			k.event.Key = fd
		}
	}
}

// label names ev in messages: its name, and its version when it is an
// older version.
func (ev *Event) label() string {
	if ev.Latest == nil {
		return ev.Name
	}
	return ev.Name + " v" + strconv.Itoa(ev.Version)
}

// keyKinds are the types a key field may have.
var keyKinds = map[Kind]bool{KindString: true, KindUUID: true, KindInt32: true, KindInt64: true}

func fieldNamed(fields []*Field, name string) *Field {
	for _, fd := range fields {
		if fd.Name == name {
			return fd
		}
	}
	return nil
}

func fieldNames(fields []*Field) []string {
	out := make([]string, len(fields))
	for i, fd := range fields {
		out[i] = fd.Name
	}
	return out
}
