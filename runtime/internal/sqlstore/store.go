package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Store is what a store's shared code needs to know of it: its database,
// the prefix of its errors and its dialect's statements.
type Store struct {
	DB *sql.DB
	// Name prefixes every error: the store's package, "postgres".
	Name string
	// Claim inserts an inbox row (consumer, producer, event_id), inserting
	// nothing when the row exists, or a row of the event ID from before
	// the inbox was keyed by producer (producer '').
	Claim string
	// SetPosition inserts or updates the row (consumer, log, log_offset) of
	// a consumer's position in a log.
	SetPosition string
	// GetPosition selects log_offset of the row (consumer, log).
	GetPosition string
	// Advance inserts the row (consumer, producer, key_field, key_value,
	// order_value), or raises order_value of the row there to it, and
	// changes no row when the stored value is as great or greater.
	Advance string
	// Stamped says that Claim, SetPosition and Advance take one argument
	// more, the time now in Unix nanoseconds, for a database with no time
	// type.
	Stamped bool
}

// InTx runs fn in a transaction and commits it, or rolls it back if fn
// fails; what names the work in errors.
func (s *Store) InTx(ctx context.Context, what string, fn func(*sql.Tx) error) error {
	tx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: %s: begin: %w", s.Name, what, err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback() // the error that made us roll back is the one to report
		return fmt.Errorf("%s: %s: %w", s.Name, what, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: %s: commit: %w", s.Name, what, err)
	}
	return nil
}

// LogPosition returns consumer's committed position in log.
func (s *Store) LogPosition(ctx context.Context, consumer, log string) (int64, bool, error) {
	var off int64
	err := s.DB.QueryRowContext(ctx, s.GetPosition, consumer, log).Scan(&off)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, false, nil
	case err != nil:
		return 0, false, fmt.Errorf("%s: read position of %s in %s: %w", s.Name, consumer, log, err)
	}
	return off, true, nil
}

// args are a statement's arguments, stamped with the time if the dialect
// wants it.
func (s *Store) args(args ...any) []any {
	if s.Stamped {
		return append(args, time.Now().UnixNano())
	}
	return args
}

// Query is one statement and its arguments.
type Query struct {
	Query string
	Args  []any
}

// Exec runs queries in tx, in order, and returns how many rows they
// affected in all. An error names the statement that failed.
func Exec(ctx context.Context, tx *sql.Tx, queries []Query) (int64, error) {
	var total int64
	for _, q := range queries {
		res, err := tx.ExecContext(ctx, q.Query, q.Args...)
		if err != nil {
			return total, fmt.Errorf("%s: %w", q.Query, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("%s: %w", q.Query, err)
		}
		total += n
	}
	return total, nil
}
