package store

import "context"

// OrderKey names one entity whose events a contract orders (order_by):
// the producer, the key field, and the key's value in the event.
type OrderKey struct {
	Producer string // "users"
	Field    string // the key field's wire name, "user_id"
	Value    string // the key's value: a JSON string's text, a number's JSON
}

// OrderTx is implemented by inbox transactions that record, per consumer
// and entity, the order value of the last event applied, so that the
// engine drops an event as old as that one, or older, before its handler
// runs (a contract's order_by). The record commits or rolls back with the
// claim and the handler's writes, and RollbackTo undoes it. Unlike inbox
// rows, records are never pruned: an entity's record is what keeps its
// older events out once their inbox rows are gone.
type OrderTx interface {
	// Advance records value as consumer's order value of k unless one as
	// great or greater is recorded, committed or earlier in this
	// transaction. It reports whether it recorded value: false means the
	// event is stale. Like Claim, it waits for a concurrent transaction
	// that recorded a value of k to end.
	Advance(ctx context.Context, consumer string, k OrderKey, value int64) (bool, error)
}
