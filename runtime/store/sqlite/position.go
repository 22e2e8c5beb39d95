package sqlite

import (
	"context"

	"github.com/evgenhq/evgen/runtime/store"
)

var _ store.LogPositions = (*Store)(nil)

// positionsTable is the quoted name of the table of consumers' positions
// in producers' event logs: one row per consumer and log.
func (s *Store) positionsTable() string { return `"` + s.opts.TablePrefix + `log_positions"` }

// updated_at is Unix nanoseconds, like the inbox's applied_at.
func (s *Store) positionSchema() []string {
	return []string{`CREATE TABLE IF NOT EXISTS ` + s.positionsTable() + ` (
		consumer   TEXT NOT NULL,
		log        TEXT NOT NULL,
		log_offset INTEGER NOT NULL,
		updated_at INTEGER NOT NULL,
		PRIMARY KEY (consumer, log)
	)`}
}

func (s *Store) setPositionQuery() string {
	// Only forward, as in postgres: replicas commit positions in any order.
	return `INSERT INTO ` + s.positionsTable() + ` (consumer, log, log_offset, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (consumer, log) DO UPDATE SET log_offset = excluded.log_offset, updated_at = excluded.updated_at
		WHERE log_offset < excluded.log_offset`
}

// LogPosition returns consumer's committed position in log.
func (s *Store) LogPosition(ctx context.Context, consumer, log string) (int64, bool, error) {
	return s.sql.LogPosition(ctx, consumer, log)
}
