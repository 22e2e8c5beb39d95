package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/evgenhq/evgen/runtime/internal/sqlstore"
	"github.com/evgenhq/evgen/runtime/store"
)

var _ interface {
	store.SetAsideOutbox
	store.OutboxOwner
} = (*Store)(nil)

// setAsideTable holds the outbox events the relay could not send, with
// their reason, until an operator retries or drops them; ownerTable names
// the one service that relays this outbox.
func (s *Store) setAsideTable() string { return `"` + s.opts.TablePrefix + `outbox_set_aside"` }
func (s *Store) ownerTable() string    { return `"` + s.opts.TablePrefix + `outbox_owner"` }

// The event is kept as it was written: payload bytes, metadata as JSON
// text, so that psql shows it; set_aside_at is Unix nanoseconds, as in the
// SQLite store, so that both share the operator's code.
func (s *Store) setAsideSchema() []sqlstore.Query {
	return []sqlstore.Query{
		{Query: `CREATE TABLE IF NOT EXISTS ` + s.setAsideTable() + ` (
			id           TEXT PRIMARY KEY,
			payload      BYTEA NOT NULL,
			metadata     TEXT NOT NULL,
			reason       TEXT NOT NULL,
			set_aside_at BIGINT NOT NULL
		)`},
		{Query: `CREATE TABLE IF NOT EXISTS ` + s.ownerTable() + ` (
			id         INTEGER PRIMARY KEY CHECK (id = 1),
			service    TEXT NOT NULL,
			claimed_at TIMESTAMPTZ NOT NULL DEFAULT now()
		)`},
	}
}

// setAside records m as set aside for reason, in tx, and reports whether
// it inserted the row.
//
// Crash safety: tx is the relay's batch transaction, the one that also
// moves the offset past the row, so the set-aside row and the offset
// commit or roll back together: the event is never both skipped and
// missing from the set-aside table, nor set aside twice. The insert is
// also idempotent by event ID (a second copy of one event ID keeps the
// first reason). A rolled-back batch may report the event once more.
func (s *Store) setAside(ctx context.Context, tx *sql.Tx, m *message.Message, reason error) (bool, error) {
	meta, err := sqlstore.MetadataJSON(m.Metadata)
	if err != nil {
		return false, fmt.Errorf("postgres: set aside event %s: metadata: %w", m.UUID, err)
	}
	q := `INSERT INTO ` + s.setAsideTable() + ` (id, payload, metadata, reason, set_aside_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING`
	res, err := tx.ExecContext(ctx, q, m.UUID, []byte(m.Payload), meta, reason.Error(), time.Now().UnixNano())
	if err != nil {
		return false, fmt.Errorf("postgres: set aside event %s: %w", m.UUID, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

func (s *Store) setAsideOps() sqlstore.SetAside {
	cols := `SELECT id, payload, metadata, reason, set_aside_at FROM ` + s.setAsideTable()
	return sqlstore.SetAside{
		Store:  &s.sql,
		Table:  s.setAsideTable(),
		List:   cols + ` ORDER BY set_aside_at, id`,
		Get:    cols + ` WHERE id = $1 FOR UPDATE`,
		Delete: `DELETE FROM ` + s.setAsideTable() + ` WHERE id = $1`,
		Requeue: func(ctx context.Context, tx *sql.Tx, r store.SetAsideRow) error {
			return s.Publisher(tx).Publish(ctx, r.Message())
		},
	}
}

// ListSetAside returns the events the relay set aside, oldest first.
func (s *Store) ListSetAside(ctx context.Context) ([]store.SetAsideRow, error) {
	return s.setAsideOps().ListSetAside(ctx)
}

// RetrySetAside writes the events back into the outbox in one new
// transaction, so the relay sends them after every event committed before,
// in the order of ids.
func (s *Store) RetrySetAside(ctx context.Context, ids ...string) (int, error) {
	return s.setAsideOps().RetrySetAside(ctx, ids...)
}

// DropSetAside deletes the events for good.
func (s *Store) DropSetAside(ctx context.Context, ids ...string) (int, error) {
	return s.setAsideOps().DropSetAside(ctx, ids...)
}

// ClaimOutbox records service as the one relaying this outbox, or fails
// if another service does.
func (s *Store) ClaimOutbox(ctx context.Context, service string) error {
	return sqlstore.Owner{
		Store:  &s.sql,
		Table:  s.ownerTable(),
		Outbox: s.outbox,
		Insert: `INSERT INTO ` + s.ownerTable() + ` (id, service) VALUES (1, $1) ON CONFLICT DO NOTHING`,
		Select: `SELECT service FROM ` + s.ownerTable(),
	}.ClaimOutbox(ctx, service)
}
