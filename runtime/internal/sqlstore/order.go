package sqlstore

import (
	"context"
	"fmt"

	"github.com/evgenhq/evgen/runtime/store"
)

var _ store.OrderTx = (*InboxTx)(nil)

// Advance records value as consumer's order value of k in the transaction
// with the store's Advance statement, an upsert that writes only a greater
// value; see store.OrderTx. Which of two concurrent transactions records
// first is the database's to decide, as with claims.
func (t *InboxTx) Advance(ctx context.Context, consumer string, k store.OrderKey, value int64) (bool, error) {
	if err := t.ready(ctx); err != nil {
		return false, err
	}
	res, err := t.tx.ExecContext(ctx, t.s.Advance, t.s.args(consumer, k.Producer, k.Field, k.Value, value)...)
	if err == nil {
		var n int64
		if n, err = res.RowsAffected(); err == nil {
			return n == 1, nil
		}
	}
	return false, fmt.Errorf("%s: record %s %s=%s at %d for %s: %w", t.s.Name, k.Producer, k.Field, k.Value, value, consumer, err)
}
