package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/evgenhq/evgen/runtime/internal/sqlstore"
	"github.com/evgenhq/evgen/runtime/store"
)

var _ interface {
	store.SetAsideOutbox
	store.OutboxOwner
} = (*Store)(nil)

// setAsideTable holds the outbox rows the relay could not send, with their
// reason, until an operator retries or drops them; ownerTable names the
// one service that relays this outbox.
func (s *Store) setAsideTable() string { return `"` + s.opts.TablePrefix + `outbox_set_aside"` }
func (s *Store) ownerTable() string    { return `"` + s.opts.TablePrefix + `outbox_owner"` }

func (s *Store) setAsideSchema() []string {
	return []string{
		`CREATE TABLE IF NOT EXISTS ` + s.setAsideTable() + ` (
			id           TEXT PRIMARY KEY,
			payload      BLOB NOT NULL,
			metadata     TEXT NOT NULL,
			reason       TEXT NOT NULL,
			set_aside_at INTEGER NOT NULL
		)`,
		`CREATE TABLE IF NOT EXISTS ` + s.ownerTable() + ` (
			id         INTEGER PRIMARY KEY CHECK (id = 1),
			service    TEXT NOT NULL,
			claimed_at INTEGER NOT NULL
		)`,
	}
}

// setAside moves row r out of the outbox into the set-aside table, in one
// transaction, so that a crash leaves it in exactly one of them. It
// reports false when an event of the same ID was already set aside (a
// second copy of one event: the consumers' inboxes would drop it anyway).
func (s *Store) setAside(ctx context.Context, r outboxRow, reason error) (bool, error) {
	var added int64
	err := s.sql.InTx(ctx, "set aside outbox row", func(tx *sql.Tx) error {
		meta, err := sqlstore.MetadataJSON(r.msg.Metadata)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO `+s.setAsideTable()+` (id, payload, metadata, reason, set_aside_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, r.msg.UUID, []byte(r.msg.Payload), meta, reason.Error(), time.Now().UnixNano())
		if err != nil {
			return fmt.Errorf("event %s: %w", r.msg.UUID, err)
		}
		if added, err = res.RowsAffected(); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM `+s.outbox+` WHERE seq = ?`, r.seq)
		return err
	})
	return added > 0, err
}

func (s *Store) setAsideOps() sqlstore.SetAside {
	cols := `SELECT id, payload, metadata, reason, set_aside_at FROM ` + s.setAsideTable()
	return sqlstore.SetAside{
		Store:  &s.sql,
		Table:  s.setAsideTable(),
		List:   cols + ` ORDER BY set_aside_at, id`,
		Get:    cols + ` WHERE id = ?`,
		Delete: `DELETE FROM ` + s.setAsideTable() + ` WHERE id = ?`,
		Requeue: func(ctx context.Context, tx *sql.Tx, r store.SetAsideRow) error {
			return txPublisher{s: s, tx: tx}.Publish(ctx, r.Message())
		},
	}
}

// ListSetAside returns the rows the relay set aside, oldest first.
func (s *Store) ListSetAside(ctx context.Context) ([]store.SetAsideRow, error) {
	return s.setAsideOps().ListSetAside(ctx)
}

// RetrySetAside puts the rows back at the end of the outbox, after every
// event committed before, in the order of ids.
func (s *Store) RetrySetAside(ctx context.Context, ids ...string) (int, error) {
	return s.setAsideOps().RetrySetAside(ctx, ids...)
}

// DropSetAside deletes the rows for good.
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
		Insert: `INSERT INTO ` + s.ownerTable() + ` (id, service, claimed_at) VALUES (1, ?, ?) ON CONFLICT DO NOTHING`,
		Select: `SELECT service FROM ` + s.ownerTable(),
	}.ClaimOutbox(ctx, service)
}
