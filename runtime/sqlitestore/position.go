package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/evgenhq/evgen/runtime"
)

var (
	_ runtime.LogPositions  = (*Store)(nil)
	_ runtime.LogPositionTx = (*inboxTx)(nil)
)

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
	return `INSERT INTO ` + s.positionsTable() + ` (consumer, log, log_offset, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (consumer, log) DO UPDATE SET log_offset = excluded.log_offset, updated_at = excluded.updated_at`
}

// LogPosition returns consumer's committed position in log.
func (s *Store) LogPosition(ctx context.Context, consumer, log string) (int64, bool, error) {
	var off int64
	err := s.db.QueryRowContext(ctx, `SELECT log_offset FROM `+s.positionsTable()+` WHERE consumer = ? AND log = ?`, consumer, log).Scan(&off)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, false, nil
	case err != nil:
		return 0, false, fmt.Errorf("sqlitestore: read position of %s in %s: %w", consumer, log, err)
	}
	return off, true, nil
}

// SetLogPosition records consumer's position in log in the transaction.
func (t *inboxTx) SetLogPosition(ctx context.Context, consumer, log string, offset int64) error {
	if _, err := t.tx.ExecContext(ctx, t.setPosition, consumer, log, offset, time.Now().UnixNano()); err != nil {
		return fmt.Errorf("sqlitestore: set position of %s in %s to %d: %w", consumer, log, offset, err)
	}
	return nil
}
