package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/store"
	"github.com/evgenhq/evgen/runtime/wire"
)

// Stale events. A contract may name the integer field that orders the
// events of a key (order_by: {user_id: version}), which the producer
// raises with each change of the entity. The engine then records, in the
// inbox transaction, the order value of the last event applied per
// consumer, producer and key, and drops an event whose value is not above
// it before its handler runs: a copy published again under a new ID, a
// replay from the event log after the inbox rows were pruned, a resync
// snapshot no newer than what was applied, or, where events of a key can
// be applied out of queue order (several replicas, Concurrency above 1, an
// event retried after the ones behind it), the older one. A stale event is
// acked, counted in evgen_events_stale_total and logged, never
// dead-lettered. The record is written after the claim, behind the same
// savepoint, so a failing handler undoes both.

// orderRule says where the events of one type carry their key and order
// value.
type orderRule struct {
	producer, key, orderBy string // wire names
}

// orderRules maps the routing key of each consumed event type whose
// contract orders its key's events to its rule.
func orderRules(c runtime.Contract) map[string]orderRule {
	rules := map[string]orderRule{}
	for _, e := range c.Consumes {
		if e.Key != "" && e.OrderBy != "" {
			rules[runtime.RoutingKey(e.Type, e.Version)] = orderRule{producer: e.Producer, key: e.Key, orderBy: e.OrderBy}
		}
	}
	return rules
}

// placed is an event's place in its entity's order: its key, and its
// value of the field named by, which orders the key's events.
type placed struct {
	key   store.OrderKey
	by    string
	value int64
}

// placeOf reads the key and order value of an event of rule r. The
// contract makes both required, so an event without them is Permanent:
// it is dead-lettered with the reason.
func placeOf(r orderRule, m runtime.Meta, payload []byte) (placed, error) {
	var key json.RawMessage
	var value int64
	err := wire.DecodeObject(payload, []wire.Field{
		wire.FieldOf(r.key, &key, wire.Required),
		wire.FieldOf(r.orderBy, &value, wire.Required),
	})
	if err != nil {
		return placed{}, runtime.Permanent(fmt.Errorf("%s v%d: read the key and order value the contract orders it by (order_by: {%s: %s}): %w", m.Type, m.Version, r.key, r.orderBy, err))
	}
	return placed{key: store.OrderKey{Producer: r.producer, Field: r.key, Value: keyText(key)}, by: r.orderBy, value: value}, nil
}

// keyText is a key as the inbox records it: a string's text, or any other
// JSON value as written.
func keyText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// newer reports whether d is newer than the last event of its key that
// this service applied, and records it as the last one in tx if so. An
// event type the contract does not order is always newer. A stale d is
// marked superseded, for settle to count and log.
func (s *Service) newer(ctx context.Context, tx store.InboxTx, d *delivery, m runtime.Meta) (bool, error) {
	r, ok := s.orders[runtime.RoutingKey(m.Type, m.Version)]
	if !ok {
		return true, nil
	}
	p, err := placeOf(r, m, d.msg.Payload)
	if err != nil {
		return false, err
	}
	ot, ok := tx.(store.OrderTx)
	if !ok {
		return false, errNoOrderTx
	}
	fresh, err := ot.Advance(ctx, s.cfg.Contract.Service, p.key, p.value)
	if err != nil {
		return false, err
	}
	if !fresh {
		d.superseded = &p
	}
	return fresh, nil
}

// errNoOrderTx fails an ordered event in a store whose inbox cannot record
// order values.
var errNoOrderTx = errors.New("the store's inbox transaction does not record order values (store.OrderTx), which the contract's order_by needs: use the memory, SQLite or PostgreSQL store, or implement store.OrderTx")

// Advance records an order value; see store.OrderTx. Its errors are the
// store's, as the claim's are.
func (t *consumerTx) Advance(ctx context.Context, consumer string, k store.OrderKey, value int64) (bool, error) {
	ot, ok := t.tx.(store.OrderTx)
	if !ok {
		return false, errNoOrderTx
	}
	fresh, err := ot.Advance(ctx, consumer, k, value)
	return fresh, storeOp(err)
}

// logStale says that d was dropped as stale, with what it was about.
func (s *Service) logStale(d *delivery, m runtime.Meta) {
	p := d.superseded
	s.log.Info("stale event dropped: an event of its key as new or newer was applied before",
		"type", m.Type, "id", m.ID, p.key.Field, p.key.Value, p.by, p.value)
}
