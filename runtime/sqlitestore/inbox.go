package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/evgenhq/evgen/runtime"
)

// applied_at is Unix nanoseconds from the Go clock: SQLite has no time
// type, and an integer compares exactly in Prune.
func (s *Store) inboxSchema() []string {
	return []string{
		`CREATE TABLE IF NOT EXISTS ` + s.inbox + ` (
			consumer   TEXT NOT NULL,
			event_id   TEXT NOT NULL,
			applied_at INTEGER NOT NULL,
			PRIMARY KEY (consumer, event_id)
		)`,
		`CREATE INDEX IF NOT EXISTS "` + s.opts.TablePrefix + `inbox_applied_at" ON ` + s.inbox + ` (applied_at)`,
	}
}

// Begin opens the database transaction an inbox unit of work runs in. With
// a database from Open it holds the write lock until it ends.
func (s *Store) Begin(ctx context.Context) (runtime.InboxTx, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: begin inbox transaction: %w", err)
	}
	return &inboxTx{
		tx:          tx,
		claim:       `INSERT INTO ` + s.inbox + ` (consumer, event_id, applied_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
		setPosition: s.setPositionQuery(),
	}, nil
}

type inboxTx struct {
	tx          *sql.Tx
	claim       string
	setPosition string
}

// Claim inserts the inbox row; a row that exists already, committed or
// earlier in this transaction, inserts nothing: a duplicate. Transactions
// that write are serialised by SQLite, so concurrent claims of one event
// cannot both win.
func (t *inboxTx) Claim(ctx context.Context, consumer, eventID string) (bool, error) {
	res, err := t.tx.ExecContext(ctx, t.claim, consumer, eventID, time.Now().UnixNano())
	if err != nil {
		return false, fmt.Errorf("sqlitestore: claim event %s for %s: %w", eventID, consumer, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("sqlitestore: claim event %s for %s: %w", eventID, consumer, err)
	}
	return n == 1, nil
}

// SQL is the transaction for the handler's own writes.
func (t *inboxTx) SQL() *sql.Tx { return t.tx }

// Savepoint sets an SQL savepoint; name must be a plain identifier.
func (t *inboxTx) Savepoint(ctx context.Context, name string) error {
	return t.exec(ctx, "SAVEPOINT ", name)
}

// RollbackTo undoes everything since the savepoint, which stays set.
func (t *inboxTx) RollbackTo(ctx context.Context, name string) error {
	return t.exec(ctx, "ROLLBACK TO SAVEPOINT ", name)
}

func (t *inboxTx) exec(ctx context.Context, stmt, name string) error {
	if err := runtime.CheckSavepointName(name); err != nil {
		return fmt.Errorf("sqlitestore: %w", err)
	}
	if _, err := t.tx.ExecContext(ctx, stmt+name); err != nil {
		return fmt.Errorf("sqlitestore: %s%s: %w", stmt, name, err)
	}
	return nil
}

// Commit commits the claims with the handler's writes.
func (t *inboxTx) Commit() error {
	if err := t.tx.Commit(); err != nil {
		return fmt.Errorf("sqlitestore: commit inbox transaction: %w", err)
	}
	return nil
}

// Rollback forgets the claims and the handler's writes. After Commit it
// returns an error wrapping sql.ErrTxDone.
func (t *inboxTx) Rollback() error {
	if err := t.tx.Rollback(); err != nil {
		return fmt.Errorf("sqlitestore: roll back inbox transaction: %w", err)
	}
	return nil
}
