package postgres

import (
	"context"

	"github.com/evgenhq/evgen/runtime/internal/sqlstore"
	"github.com/evgenhq/evgen/runtime/store"
)

var (
	_ store.LogPositions  = (*Store)(nil)
	_ store.LogPositionTx = (*inboxTx)(nil)
)

// positionsTable is the quoted name of the table of consumers' positions
// in producers' event logs: one row per consumer and log.
func (s *Store) positionsTable() string { return `"` + s.opts.TablePrefix + `log_positions"` }

func (s *Store) positionSchema() []sqlstore.Query {
	return []sqlstore.Query{{Query: `CREATE TABLE IF NOT EXISTS ` + s.positionsTable() + ` (
		consumer   TEXT NOT NULL,
		log        TEXT NOT NULL,
		log_offset BIGINT NOT NULL,
		updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
		PRIMARY KEY (consumer, log)
	)`}}
}

func (s *Store) setPositionQuery() string {
	// Only forward: two replicas syncing the same log commit positions in
	// any order, and the later commit of an earlier offset must not send
	// the next sync back over events already applied or dead-lettered.
	return `INSERT INTO ` + s.positionsTable() + ` AS p (consumer, log, log_offset) VALUES ($1, $2, $3)
		ON CONFLICT (consumer, log) DO UPDATE SET log_offset = EXCLUDED.log_offset, updated_at = now()
		WHERE p.log_offset < EXCLUDED.log_offset`
}

// LogPosition returns consumer's committed position in log.
func (s *Store) LogPosition(ctx context.Context, consumer, log string) (int64, bool, error) {
	return s.sql.LogPosition(ctx, consumer, log)
}
