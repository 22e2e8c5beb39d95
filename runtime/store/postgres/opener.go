package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/evgenhq/evgen/runtime/store"
	"github.com/evgenhq/evgen/runtime/store/open"
)

// Importing this package lets open.Open open postgres:// URLs; a program
// that does not import it does not link pgx.
func init() { open.Register("postgres", openStore) }

// openStore is the opener open.Open calls for a postgres:// URL.
func openStore(ctx context.Context, dsn string, c open.Config) (store.Store, error) {
	db, err := Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	st, err := New(db, Options{Logger: c.Logger, TablePrefix: c.TablePrefix})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return st, nil
}

// Open connects to the PostgreSQL database dsn names, through pgx's
// database/sql driver, and checks that the server answers. When the DSN
// sets search_path, the first schema of the path is created if it does not
// exist yet: every table the service and its store create without a schema
// goes there.
func Open(ctx context.Context, dsn string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse PostgreSQL URL: %w", err)
	}
	db := stdlib.OpenDB(*cfg)
	if schema := firstSchema(cfg.RuntimeParams["search_path"]); schema != "" {
		_, err = db.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{schema}.Sanitize())
	} else {
		err = db.PingContext(ctx)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: connect to PostgreSQL at %s:%d as %s, database %s: %w", cfg.Host, cfg.Port, cfg.User, cfg.Database, err)
	}
	return db, nil
}

// firstSchema returns the first schema of a search_path value such as
// `"users_1", public`, unquoted; "" when there is none or it is $user.
func firstSchema(searchPath string) string {
	first, _, _ := strings.Cut(searchPath, ",")
	first = strings.TrimSpace(first)
	if first == "$user" {
		return "" // resolved per connection by the server; nothing to create
	}
	return strings.Trim(first, `"`)
}
