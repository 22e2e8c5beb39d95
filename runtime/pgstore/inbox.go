package pgstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"

	"github.com/evgenhq/evgen/runtime"
)

func (s *Store) inboxSchema() []wsql.Query {
	return []wsql.Query{
		{Query: `CREATE TABLE IF NOT EXISTS ` + s.inbox + ` (
			consumer   TEXT NOT NULL,
			event_id   TEXT NOT NULL,
			applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
			PRIMARY KEY (consumer, event_id)
		)`},
		{Query: `CREATE INDEX IF NOT EXISTS "` + s.opts.TablePrefix + `inbox_applied_at" ON ` + s.inbox + ` (applied_at)`},
	}
}

func (s *Store) pruneInbox(olderThan time.Duration) wsql.Query {
	return wsql.Query{
		Query: `DELETE FROM ` + s.inbox + ` WHERE applied_at <= now() - make_interval(secs => $1)`,
		Args:  []any{olderThan.Seconds()},
	}
}

// Begin opens the database transaction an inbox unit of work runs in.
func (s *Store) Begin(ctx context.Context) (runtime.InboxTx, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("pgstore: begin inbox transaction: %w", err)
	}
	return &inboxTx{
		tx:          tx,
		claim:       `INSERT INTO ` + s.inbox + ` (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
		claimAll:    `INSERT INTO ` + s.inbox + ` (consumer, event_id) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING RETURNING event_id`,
		setPosition: s.setPositionQuery(),
	}, nil
}

var _ runtime.BatchClaimer = (*inboxTx)(nil)

type inboxTx struct {
	tx          *sql.Tx
	claim       string
	claimAll    string
	setPosition string
}

// Claim inserts the inbox row. A row that exists already, committed or
// earlier in this transaction, inserts nothing: a duplicate. A concurrent
// transaction inserting the same row waits for this one to end, so exactly
// one of them claims the event (READ COMMITTED, the default, is enough).
func (t *inboxTx) Claim(ctx context.Context, consumer, eventID string) (bool, error) {
	res, err := t.tx.ExecContext(ctx, t.claim, consumer, eventID)
	if err != nil {
		return false, fmt.Errorf("pgstore: claim event %s for %s: %w", eventID, consumer, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("pgstore: claim event %s for %s: %w", eventID, consumer, err)
	}
	return n == 1, nil
}

// SQL is the transaction for the handler's own writes.
func (t *inboxTx) SQL() *sql.Tx { return t.tx }

// Savepoint sets an SQL savepoint; name must be a plain identifier.
func (t *inboxTx) Savepoint(ctx context.Context, name string) error {
	return t.exec(ctx, "SAVEPOINT ", name)
}

// RollbackTo rolls back to the savepoint, which also clears an error that
// aborted the transaction after it.
func (t *inboxTx) RollbackTo(ctx context.Context, name string) error {
	return t.exec(ctx, "ROLLBACK TO SAVEPOINT ", name)
}

func (t *inboxTx) exec(ctx context.Context, stmt, name string) error {
	if err := runtime.CheckSavepointName(name); err != nil {
		return fmt.Errorf("pgstore: %w", err)
	}
	if _, err := t.tx.ExecContext(ctx, stmt+name); err != nil {
		return fmt.Errorf("pgstore: %s%s: %w", stmt, name, err)
	}
	return nil
}

// Commit commits the claims with the handler's writes.
func (t *inboxTx) Commit() error {
	if err := t.tx.Commit(); err != nil {
		return fmt.Errorf("pgstore: commit inbox transaction: %w", err)
	}
	return nil
}

// Rollback forgets the claims and the handler's writes. After Commit it
// returns an error wrapping sql.ErrTxDone.
func (t *inboxTx) Rollback() error {
	if err := t.tx.Rollback(); err != nil {
		return fmt.Errorf("pgstore: roll back inbox transaction: %w", err)
	}
	return nil
}

// ClaimAll claims eventIDs in one INSERT; see runtime.BatchClaimer.
func (t *inboxTx) ClaimAll(ctx context.Context, consumer string, eventIDs []string) ([]bool, error) {
	rows, err := t.tx.QueryContext(ctx, t.claimAll, consumer, eventIDs)
	if err != nil {
		return nil, fmt.Errorf("pgstore: claim %d events for %s: %w", len(eventIDs), consumer, err)
	}
	defer rows.Close()
	inserted := make(map[string]bool, len(eventIDs))
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("pgstore: claim %d events for %s: %w", len(eventIDs), consumer, err)
		}
		inserted[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pgstore: claim %d events for %s: %w", len(eventIDs), consumer, err)
	}
	won := make([]bool, len(eventIDs))
	for i, id := range eventIDs {
		won[i] = inserted[id]
		delete(inserted, id) // a repeated ID wins once
	}
	return won, nil
}
