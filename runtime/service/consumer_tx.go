package service

import (
	"context"
	"database/sql"

	"github.com/evgenhq/evgen/runtime/store"
)

// consumerTx is the store's inbox transaction as the consumer uses it: the
// errors of its own operations are marked as the store's (see classify),
// so that they hold a delivery instead of using up its attempts, and a
// commit that succeeds ends a store outage.
type consumerTx struct {
	tx store.InboxTx
	s  *Service
}

var _ store.InboxTx = (*consumerTx)(nil)

// begin opens a consumerTx.
func (s *Service) begin(ctx context.Context) (*consumerTx, error) {
	tx, err := s.cfg.Store.Begin(ctx)
	if err != nil {
		return nil, storeOp(err)
	}
	return &consumerTx{tx: tx, s: s}, nil
}

// Claim claims one event; see InboxTx.
func (t *consumerTx) Claim(ctx context.Context, consumer string, event store.EventRef) (bool, error) {
	won, err := t.tx.Claim(ctx, consumer, event)
	return won, storeOp(err)
}

// claimAll claims events in order, in one statement when the store's
// transaction is a BatchClaimer.
func (t *consumerTx) claimAll(ctx context.Context, consumer string, events []store.EventRef) ([]bool, error) {
	if bc, ok := t.tx.(store.BatchClaimer); ok {
		won, err := bc.ClaimAll(ctx, consumer, events)
		return won, storeOp(err)
	}
	won := make([]bool, len(events))
	for i, ev := range events {
		ok, err := t.Claim(ctx, consumer, ev)
		if err != nil {
			return nil, err
		}
		won[i] = ok
	}
	return won, nil
}

// SQL is the transaction for the handler's writes; their errors are the
// handler's.
func (t *consumerTx) SQL() *sql.Tx { return t.tx.SQL() }

// Savepoint sets a savepoint; see InboxTx.
func (t *consumerTx) Savepoint(ctx context.Context, name string) error {
	return storeOp(t.tx.Savepoint(ctx, name))
}

// RollbackTo returns to a savepoint; see InboxTx.
func (t *consumerTx) RollbackTo(ctx context.Context, name string) error {
	return storeOp(t.tx.RollbackTo(ctx, name))
}

// Commit commits, and reports the store answering again.
func (t *consumerTx) Commit() error {
	if err := t.tx.Commit(); err != nil {
		return storeOp(err)
	}
	t.s.storeAnswered()
	return nil
}

// Rollback rolls back; its error is only ever logged.
func (t *consumerTx) Rollback() error { return t.tx.Rollback() }
