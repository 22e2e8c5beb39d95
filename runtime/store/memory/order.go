package memory

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/evgenhq/evgen/runtime/store"
)

var _ store.OrderTx = (*memoryTx)(nil)

// orderKey is one consumer's record of one entity's order value.
type orderKey struct {
	consumer string
	store.OrderKey
}

// orderWrite is an order value a transaction recorded; took says that
// this write took the transaction's hold on the key.
type orderWrite struct {
	k     orderKey
	value int64
	took  bool
}

// Advance records value unless the key's value, as this transaction sees
// it, is as great or greater; see store.OrderTx. Another open transaction
// holding the key is waited for, as a PostgreSQL upsert waits for the
// row's lock, unless this one holds order values itself: two such
// transactions could wait for each other, so this one fails with
// ErrClaimConflict instead. (Claims never wait while holding anything, so
// a wait here cannot close a cycle.)
func (tx *memoryTx) Advance(ctx context.Context, consumer string, k store.OrderKey, value int64) (bool, error) {
	key := orderKey{consumer, k}
	for {
		newer, wait, err := tx.tryAdvance(key, value)
		if wait == nil {
			return newer, err
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return false, fmt.Errorf("record %s %s=%s: wait for a concurrent transaction: %w", k.Producer, k.Field, k.Value, ctx.Err())
		}
	}
}

// tryAdvance records value if the key is free or this transaction's;
// otherwise it returns the channel to wait on.
func (tx *memoryTx) tryAdvance(key orderKey, value int64) (bool, <-chan struct{}, error) {
	tx.s.mu.Lock()
	defer tx.s.mu.Unlock()
	if tx.done {
		return false, nil, fmt.Errorf("record %s %s=%s: %w", key.Producer, key.Field, key.Value, sql.ErrTxDone)
	}
	c, held := tx.s.orderHeld[key]
	if held && c.owner != tx {
		if len(tx.orders) > 0 {
			return false, nil, fmt.Errorf("record %s %s=%s: %w", key.Producer, key.Field, key.Value, store.ErrClaimConflict)
		}
		return false, c.released, nil
	}
	if cur, ok := tx.orderValue(key); ok && cur >= value {
		return false, nil, nil
	}
	if !held {
		if tx.s.orderHeld == nil {
			tx.s.orderHeld, tx.s.orders = map[orderKey]*memoryClaim{}, map[orderKey]int64{}
		}
		tx.s.orderHeld[key] = &memoryClaim{owner: tx, released: make(chan struct{})}
	}
	tx.orders = append(tx.orders, orderWrite{key, value, !held})
	return true, nil, nil
}

// orderValue is the key's value as tx sees it: its own latest write, or
// the committed one; s.mu must be held.
func (tx *memoryTx) orderValue(key orderKey) (int64, bool) {
	for i := len(tx.orders) - 1; i >= 0; i-- {
		if tx.orders[i].k == key {
			return tx.orders[i].value, true
		}
	}
	v, ok := tx.s.orders[key]
	return v, ok
}

// undoOrders forgets the writes after the first n and releases the keys
// they took, for RollbackTo; s.mu must be held.
func (tx *memoryTx) undoOrders(n int) {
	for _, w := range tx.orders[n:] {
		if w.took {
			tx.s.releaseOrder(w.k)
		}
	}
	tx.orders = tx.orders[:n]
}

// endOrders makes tx's writes visible if it commits, in order (each is
// greater than the one before it), and releases its keys; s.mu must be
// held.
func (tx *memoryTx) endOrders(commit bool) {
	for _, w := range tx.orders {
		if commit {
			tx.s.orders[w.k] = w.value
		}
		if w.took {
			tx.s.releaseOrder(w.k)
		}
	}
	tx.orders = nil
}

// releaseOrder ends a transaction's hold on an order key; s.mu must be
// held.
func (s *memoryStore) releaseOrder(k orderKey) {
	if c, ok := s.orderHeld[k]; ok {
		close(c.released)
		delete(s.orderHeld, k)
	}
}
