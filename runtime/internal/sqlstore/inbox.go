package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/evgenhq/evgen/runtime/store"
)

var (
	_ store.InboxTx       = (*InboxTx)(nil)
	_ store.LogPositionTx = (*InboxTx)(nil)
)

// InboxTx is an inbox unit of work in one database transaction. The claim
// and the handler's writes commit or roll back together.
type InboxTx struct {
	tx *sql.Tx
	s  *Store
	// before runs ahead of every statement the unit of work sends, and
	// before SQL hands the transaction to a handler; see Wrap.
	before func(context.Context) error
	ctx    context.Context // the unit of work's, for the hook SQL runs
	err    error           // the hook failed in SQL, which returns no error: Commit does
}

// Begin opens the database transaction an inbox unit of work runs in.
func (s *Store) Begin(ctx context.Context) (*InboxTx, error) {
	tx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: begin inbox transaction: %w", s.Name, err)
	}
	return &InboxTx{tx: tx, s: s}, nil
}

// Wrap makes an inbox unit of work of tx, a transaction the store's own
// code began on a connection it holds. before, if not nil, runs ahead of
// every statement the unit of work sends (and, with ctx, before SQL hands
// the transaction to a handler); its error is the method's. It is in
// this type rather than in a wrapper that overrides each writing method
// so that a writing method added here cannot skip it: the postgres store holds a
// savepoint there to send it with the next claim, and any other statement
// must send it first to keep the statements in order.
func (s *Store) Wrap(ctx context.Context, tx *sql.Tx, before func(context.Context) error) *InboxTx {
	return &InboxTx{tx: tx, s: s, before: before, ctx: ctx}
}

// ready runs the before-statement hook, if any.
func (t *InboxTx) ready(ctx context.Context) error {
	if t.before == nil {
		return nil
	}
	return t.before(ctx)
}

// Claim inserts the inbox row. A row that exists already, committed or
// earlier in this transaction, inserts nothing: a duplicate; so does a row
// of the same event ID written before the inbox was keyed by producer
// (see each store's Claim statement). Which of two concurrent claims wins
// is the database's to decide.
func (t *InboxTx) Claim(ctx context.Context, consumer string, e store.EventRef) (bool, error) {
	if err := t.ready(ctx); err != nil {
		return false, err
	}
	res, err := t.tx.ExecContext(ctx, t.s.Claim, t.s.args(consumer, e.Producer, e.ID)...)
	if err != nil {
		return false, fmt.Errorf("%s: claim event %s of %s for %s: %w", t.s.Name, e.ID, e.Producer, consumer, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("%s: claim event %s of %s for %s: %w", t.s.Name, e.ID, e.Producer, consumer, err)
	}
	return n == 1, nil
}

// SetLogPosition records consumer's position in log in the transaction.
func (t *InboxTx) SetLogPosition(ctx context.Context, consumer, log string, offset int64) error {
	if err := t.ready(ctx); err != nil {
		return err
	}
	if _, err := t.tx.ExecContext(ctx, t.s.SetPosition, t.s.args(consumer, log, offset)...); err != nil {
		return fmt.Errorf("%s: set position of %s in %s to %d: %w", t.s.Name, consumer, log, offset, err)
	}
	return nil
}

// SQL is the transaction for the handler's own writes. SQL cannot
// return the hook's error, so Commit does.
func (t *InboxTx) SQL() *sql.Tx {
	if err := t.ready(t.ctx); err != nil && t.err == nil {
		t.err = err
	}
	return t.tx
}

// Savepoint sets an SQL savepoint; name must be a plain identifier.
func (t *InboxTx) Savepoint(ctx context.Context, name string) error {
	return t.exec(ctx, "SAVEPOINT ", name)
}

// RollbackTo undoes everything since the savepoint, which stays set. In
// PostgreSQL it also clears an error that aborted the transaction after it.
func (t *InboxTx) RollbackTo(ctx context.Context, name string) error {
	return t.exec(ctx, "ROLLBACK TO SAVEPOINT ", name)
}

func (t *InboxTx) exec(ctx context.Context, stmt, name string) error {
	if err := store.CheckSavepointName(name); err != nil {
		return fmt.Errorf("%s: %w", t.s.Name, err)
	}
	if err := t.ready(ctx); err != nil {
		return err
	}
	if _, err := t.tx.ExecContext(ctx, stmt+name); err != nil {
		return fmt.Errorf("%s: %s%s: %w", t.s.Name, stmt, name, err)
	}
	return nil
}

// Commit commits the claims with the handler's writes, or rolls them back
// if the hook failed in SQL: a handler's statement may then have run out
// of its order.
func (t *InboxTx) Commit() error {
	if t.err != nil {
		return errors.Join(t.err, t.Rollback())
	}
	if err := t.tx.Commit(); err != nil {
		return fmt.Errorf("%s: commit inbox transaction: %w", t.s.Name, err)
	}
	return nil
}

// Rollback forgets the claims and the handler's writes. After Commit it
// returns an error wrapping sql.ErrTxDone.
func (t *InboxTx) Rollback() error {
	if err := t.tx.Rollback(); err != nil {
		return fmt.Errorf("%s: roll back inbox transaction: %w", t.s.Name, err)
	}
	return nil
}
