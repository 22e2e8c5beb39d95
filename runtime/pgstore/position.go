package pgstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"

	"github.com/evgenhq/evgen/runtime"
)

var (
	_ runtime.LogPositions  = (*Store)(nil)
	_ runtime.LogPositionTx = (*inboxTx)(nil)
)

// positionsTable is the quoted name of the table of consumers' positions
// in producers' event logs: one row per consumer and log.
func (s *Store) positionsTable() string { return `"` + s.opts.TablePrefix + `log_positions"` }

func (s *Store) positionSchema() []wsql.Query {
	return []wsql.Query{{Query: `CREATE TABLE IF NOT EXISTS ` + s.positionsTable() + ` (
		consumer   TEXT NOT NULL,
		log        TEXT NOT NULL,
		log_offset BIGINT NOT NULL,
		updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
		PRIMARY KEY (consumer, log)
	)`}}
}

func (s *Store) setPositionQuery() string {
	return `INSERT INTO ` + s.positionsTable() + ` (consumer, log, log_offset) VALUES ($1, $2, $3)
		ON CONFLICT (consumer, log) DO UPDATE SET log_offset = EXCLUDED.log_offset, updated_at = now()`
}

// LogPosition returns consumer's committed position in log.
func (s *Store) LogPosition(ctx context.Context, consumer, log string) (int64, bool, error) {
	var off int64
	err := s.db.QueryRowContext(ctx, `SELECT log_offset FROM `+s.positionsTable()+` WHERE consumer = $1 AND log = $2`, consumer, log).Scan(&off)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, false, nil
	case err != nil:
		return 0, false, fmt.Errorf("pgstore: read position of %s in %s: %w", consumer, log, err)
	}
	return off, true, nil
}

// SetLogPosition records consumer's position in log in the transaction.
func (t *inboxTx) SetLogPosition(ctx context.Context, consumer, log string, offset int64) error {
	if _, err := t.tx.ExecContext(ctx, t.setPosition, consumer, log, offset); err != nil {
		return fmt.Errorf("pgstore: set position of %s in %s to %d: %w", consumer, log, offset, err)
	}
	return nil
}
