package app

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/pgstore"
	"github.com/evgenhq/evgen/runtime/sqlitestore"
)

// openStore opens the database dsn names, where the service keeps its own
// tables, its inbox and its outbox, so that one transaction covers all
// three: a postgres:// URL selects PostgreSQL, anything else is the path of
// a SQLite file (created if missing).
func openStore(ctx context.Context, dsn string, log *slog.Logger) (runtime.Store, error) {
	if dsn == "" {
		return nil, fmt.Errorf("no database: give a SQLite file path or a postgres:// URL")
	}
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		db, err := openPostgres(ctx, dsn)
		if err != nil {
			return nil, err
		}
		store, err := pgstore.New(db, pgstore.Options{Logger: log})
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("open PostgreSQL store: %w", err)
		}
		return store, nil
	}
	db, err := sqlitestore.Open(dsn)
	if err != nil {
		return nil, fmt.Errorf("open SQLite database %s: %w", dsn, err)
	}
	store, err := sqlitestore.New(db, sqlitestore.Options{Logger: log})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open SQLite store: %w", err)
	}
	return store, nil
}

// openPostgres connects to dsn. When the DSN sets search_path (so that
// several services share one database, each in its own schema), the first
// schema of the path is created if it does not exist yet.
func openPostgres(ctx context.Context, dsn string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse PostgreSQL URL: %w", err)
	}
	db := stdlib.OpenDB(*cfg)
	if schema := firstSchema(cfg.RuntimeParams["search_path"]); schema != "" {
		_, err = db.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{schema}.Sanitize())
	} else {
		err = db.PingContext(ctx)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to PostgreSQL at %s:%d: %w", cfg.Host, cfg.Port, err)
	}
	return db, nil
}

// firstSchema returns the first schema of a search_path value such as
// `"users_1", public`.
func firstSchema(searchPath string) string {
	first, _, _ := strings.Cut(searchPath, ",")
	return strings.Trim(strings.TrimSpace(first), `"`)
}

// querier is what the queries need: a transaction or the database itself.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// inTx runs fn in a transaction of db and commits it when fn returns nil.
// The service's writes and the events they cause (written to the outbox in
// the same transaction) commit together or not at all.
func inTx(ctx context.Context, db *sql.DB, fn func(tx *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
