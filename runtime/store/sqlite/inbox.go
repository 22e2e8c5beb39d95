package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/evgenhq/evgen/runtime/store"
)

// applied_at is Unix nanoseconds from the Go clock: SQLite has no time
// type, and an integer compares exactly in Prune. producer's default ”
// is that of the rows from before the inbox was keyed by producer (see
// detachUnkeyedInbox).
func (s *Store) inboxSchema() []string {
	return []string{
		`CREATE TABLE IF NOT EXISTS ` + s.inbox + ` (
			consumer   TEXT NOT NULL,
			producer   TEXT NOT NULL DEFAULT '',
			event_id   TEXT NOT NULL,
			applied_at INTEGER NOT NULL,
			PRIMARY KEY (consumer, producer, event_id)
		)`,
		`CREATE INDEX IF NOT EXISTS "` + s.opts.TablePrefix + `inbox_applied_at" ON ` + s.inbox + ` (applied_at)`,
	}
}

// claimQuery inserts the row of one event unless it exists, or a row of
// its ID from before the inbox was keyed by producer does. The WHERE also
// tells SQLite's parser that ON CONFLICT is the upsert clause.
func (s *Store) claimQuery() string {
	return `INSERT INTO ` + s.inbox + ` (consumer, producer, event_id, applied_at) SELECT ?1, ?2, ?3, ?4
		WHERE NOT EXISTS (SELECT 1 FROM ` + s.inbox + ` WHERE consumer = ?1 AND producer = '' AND event_id = ?3)
		ON CONFLICT DO NOTHING`
}

// unkeyedInbox is the name an inbox keyed by (consumer, event_id) has
// while Migrate copies it into the inbox keyed by producer.
func (s *Store) unkeyedInbox() string { return `"` + s.opts.TablePrefix + `inbox_unkeyed"` }

// detachUnkeyedInbox renames an inbox from before it was keyed by
// producer out of the way, with its index, so the schema creates the new
// one; it reports whether there was one. SQLite cannot change a primary
// key in place.
func (s *Store) detachUnkeyedInbox(ctx context.Context, tx *sql.Tx) (bool, error) {
	var tables, producerColumns int
	name := s.opts.TablePrefix + "inbox"
	err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, name).Scan(&tables)
	if err == nil && tables == 1 {
		err = tx.QueryRowContext(ctx, `SELECT count(*) FROM pragma_table_info(?) WHERE name = 'producer'`, name).Scan(&producerColumns)
	}
	if err != nil {
		return false, fmt.Errorf("inspect the inbox table: %w", err)
	}
	if tables == 0 || producerColumns == 1 {
		return false, nil
	}
	for _, q := range []string{
		`ALTER TABLE ` + s.inbox + ` RENAME TO ` + s.unkeyedInbox(),
		`DROP INDEX IF EXISTS "` + s.opts.TablePrefix + `inbox_applied_at"`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return false, fmt.Errorf("%s: %w", q, err)
		}
	}
	return true, nil
}

// attachUnkeyedInbox copies the detached rows into the new inbox with no
// producer, so claims keep matching them by ID alone until Prune removes
// them, and drops the old table.
func (s *Store) attachUnkeyedInbox(ctx context.Context, tx *sql.Tx) error {
	for _, q := range []string{
		`INSERT INTO ` + s.inbox + ` (consumer, producer, event_id, applied_at) SELECT consumer, '', event_id, applied_at FROM ` + s.unkeyedInbox(),
		`DROP TABLE ` + s.unkeyedInbox(),
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

// Begin opens the database transaction an inbox unit of work runs in. With
// a database from Open it holds the write lock until it ends.
func (s *Store) Begin(ctx context.Context) (store.InboxTx, error) {
	tx, err := s.sql.Begin(ctx)
	if err != nil {
		return nil, err // not tx: a nil *InboxTx in an interface is not nil
	}
	return tx, nil
}
