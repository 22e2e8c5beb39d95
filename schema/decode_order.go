package schema

import "gopkg.in/yaml.v3"

// orderRef is one `order_by` entry: the events whose key is the field
// named by key are ordered by the integer field named by field.
type orderRef struct {
	key, field *yaml.Node
}

// decodeOrderBy reads the `order_by:` section, a mapping from a key field
// name to the name of the field that orders that key's events.
func (f *file) decodeOrderBy(y *yaml.Node) {
	for _, en := range f.entries(y, "order_by") {
		f.orders = append(f.orders, orderRef{key: en.key, field: en.val})
	}
}

// resolveOrders checks each `order_by` entry once keys are resolved: some
// event has that key, and every event with that key has the ordering field,
// required and an integer. It sets Event.OrderBy on each of them.
func (f *file) resolveOrders() {
	for _, o := range f.orders {
		key := o.key.Value
		name, ok := f.text(o.field, "order_by: "+key)
		if !ok {
			continue
		}
		if name == key {
			f.errorf(o.field, "order_by: %s: a key cannot order its own events; name an integer field that grows with each event of the entity, such as version", key)
			continue
		}
		events := f.eventsKeyedBy(key)
		if len(events) == 0 {
			f.errorf(o.key, "order_by: no event has key %q%s", clip(key), didYouMean(key, f.keyNames()))
			continue
		}
		for _, ev := range events {
			f.orderEvent(ev, o, name)
		}
	}
}

// orderEvent checks that ev has the ordering field name and records it.
func (f *file) orderEvent(ev *Event, o orderRef, name string) {
	fd := fieldNamed(ev.Fields, name)
	line := o.field.Line
	switch {
	case fd == nil:
		f.e.add(ev.Pos, "event %s: has no field %q, which orders the events of key %s (order_by at line %d); add it, such as %s: int64",
			ev.label(), clip(name), o.key.Value, line, clip(name))
	case fd.Optional:
		f.e.add(fd.Pos, "event %s: field %q orders the events of key %s (order_by at line %d) and must be required",
			ev.label(), name, o.key.Value, line)
	case fd.Type != nil && !orderKinds[fd.Type.Kind]:
		f.e.add(fd.Pos, "event %s: field %q orders the events of key %s (order_by at line %d) and has type %s; it must be int32 or int64",
			ev.label(), name, o.key.Value, line, fd.Type)
	case fd.Type != nil:
		ev.OrderBy = fd
	}
}

// orderKinds are the types an ordering field may have.
var orderKinds = map[Kind]bool{KindInt32: true, KindInt64: true}

// eventsKeyedBy are the file's events whose resolved key is named key, at
// every version: a consumer pinned to an older version orders by it too.
func (f *file) eventsKeyedBy(key string) []*Event {
	var out []*Event
	for _, latest := range f.svc.Events {
		for _, ev := range latest.Versions() {
			if ev.Key != nil && ev.Key.Name == key {
				out = append(out, ev)
			}
		}
	}
	return out
}

// keyNames are the distinct key field names of the file's events, for
// suggestions.
func (f *file) keyNames() []string {
	var out []string
	seen := map[string]bool{}
	for _, ev := range f.svc.Events {
		if ev.Key != nil && !seen[ev.Key.Name] {
			seen[ev.Key.Name] = true
			out = append(out, ev.Key.Name)
		}
	}
	return out
}
