// Package open opens a service's store from one DSN, the way a
// service's -db flag names it: a postgres:// (or postgresql://) URL for
// PostgreSQL, anything else the path of a SQLite file. It is the one-liner
// between a flag and service.Config.Store:
//
//	store, err := open.Open(ctx, *dbFlag, open.WithLogger(log))
//	if err != nil { ... }
//	defer store.DB().Close()
//
// The service's own tables go in store.DB(), next to the inbox and outbox,
// so that one transaction covers the service's writes and its events.
package open

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/evgenhq/evgen/runtime/store"
	"github.com/evgenhq/evgen/runtime/store/postgres"
	"github.com/evgenhq/evgen/runtime/store/sqlite"
)

// Option configures Open.
type Option func(*options)

type options struct {
	logger      *slog.Logger
	tablePrefix string
}

// WithLogger sets the logger of the store's outbox relay; the default is
// slog.Default().
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithTablePrefix sets the prefix of the store's inbox and outbox tables
// (see postgres.Options.TablePrefix); the default is "evgen_".
func WithTablePrefix(p string) Option { return func(o *options) { o.tablePrefix = p } }

// Open opens the database dsn names and returns a store on it whose inbox
// and outbox tables exist (Migrate has run), so that a service may write
// to its outbox before service.Service.Run starts. Close store.DB() when
// done.
//
//   - postgres://user@host:5432/db?sslmode=disable: PostgreSQL, through
//     pgx. With search_path=<schema> in the query (several services in one
//     database, each in its own schema) the first schema of the path is
//     created if missing.
//   - any other DSN without "://": a SQLite file path, created if missing
//     (see sqlite.Open).
func Open(ctx context.Context, dsn string, opts ...Option) (store.Store, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	st, err := open(ctx, dsn, o)
	if err != nil {
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		st.DB().Close()
		return nil, fmt.Errorf("storeopen: create the inbox and outbox tables: %w", err)
	}
	return st, nil
}

// open picks the store for dsn's kind, without migrating it.
func open(ctx context.Context, dsn string, o options) (store.Store, error) {
	scheme, _, isURL := strings.Cut(dsn, "://")
	switch {
	case strings.TrimSpace(dsn) == "":
		return nil, fmt.Errorf("storeopen: no database given: want a SQLite file path or a postgres:// URL")
	case scheme == "postgres" || scheme == "postgresql":
		return openPostgresStore(ctx, dsn, o)
	case isURL:
		return nil, fmt.Errorf("storeopen: database URL scheme %q is not supported: want a SQLite file path or a postgres:// URL", scheme)
	default:
		return openSQLiteStore(dsn, o)
	}
}

// openPostgresStore opens a postgres.Store on the PostgreSQL dsn names.
func openPostgresStore(ctx context.Context, dsn string, o options) (store.Store, error) {
	db, err := openPostgres(ctx, dsn)
	if err != nil {
		return nil, err
	}
	st, err := postgres.New(db, postgres.Options{Logger: o.logger, TablePrefix: o.tablePrefix})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("storeopen: %w", err)
	}
	return st, nil
}

// openSQLiteStore opens a sqlite.Store on the SQLite file at path.
func openSQLiteStore(path string, o options) (store.Store, error) {
	db, err := sqlite.Open(path)
	if err != nil {
		return nil, fmt.Errorf("storeopen: %w", err)
	}
	st, err := sqlite.New(db, sqlite.Options{Logger: o.logger, TablePrefix: o.tablePrefix})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("storeopen: %w", err)
	}
	return st, nil
}
