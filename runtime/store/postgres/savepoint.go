package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/evgenhq/evgen/runtime/store"
)

// In ordered mode the runtime sets a savepoint before each event and then
// claims it: two round trips before the handler runs. The savepoint needs
// no answer the runtime waits for, so the store holds it and sends it with
// the claim after it, in one pgx batch; an error of either is the store's,
// as it was. Any other use of the transaction sends a held savepoint
// first, so statements keep their order: sendSavepoint is the
// before-statement hook of the shared sqlstore.InboxTx, which runs it
// ahead of each of its statements.

// Savepoint sends the held writes, then holds the savepoint for the next
// claim (sets it at once without the pgx driver).
func (t *inboxTx) Savepoint(ctx context.Context, name string) error {
	if err := t.flush(ctx); err != nil {
		return err
	}
	if err := t.sendSavepoint(ctx); err != nil {
		return err
	}
	if !t.pgx {
		return t.InboxTx.Savepoint(ctx, name)
	}
	if err := store.CheckSavepointName(name); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	t.sp = name
	return nil
}

// sendSavepoint sets the held savepoint, if any.
func (t *inboxTx) sendSavepoint(ctx context.Context) error {
	if t.sp == "" {
		return nil
	}
	name := t.sp
	t.sp = ""
	return t.InboxTx.Savepoint(ctx, name)
}

// Claim claims e, sending a held savepoint with it in one round trip.
func (t *inboxTx) Claim(ctx context.Context, consumer string, e store.EventRef) (bool, error) {
	if t.sp == "" {
		return t.InboxTx.Claim(ctx, consumer, e)
	}
	sp := t.sp
	t.sp = ""
	won := false
	err := t.q.conn.Raw(func(dc any) error {
		b := &pgx.Batch{}
		b.Queue("SAVEPOINT " + sp)
		b.Queue(t.claim, consumer, e.Producer, e.ID)
		br := dc.(*stdlib.Conn).Conn().SendBatch(ctx, b)
		defer br.Close()
		if _, err := br.Exec(); err != nil {
			return fmt.Errorf("SAVEPOINT %s: %w", sp, err)
		}
		tag, err := br.Exec()
		if err != nil {
			return err
		}
		won = tag.RowsAffected() == 1
		return br.Close()
	})
	if err != nil {
		return false, fmt.Errorf("postgres: claim event %s of %s for %s: %w", e.ID, e.Producer, consumer, err)
	}
	return won, nil
}
