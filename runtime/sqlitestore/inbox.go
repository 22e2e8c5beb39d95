package sqlitestore

import (
	"context"

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
	tx, err := s.sql.Begin(ctx)
	if err != nil {
		return nil, err // not tx: a nil *InboxTx in an interface is not nil
	}
	return tx, nil
}
