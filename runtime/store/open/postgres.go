package open

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// openPostgres connects to dsn and checks that the server answers. When
// the DSN sets search_path, the first schema of the path is created if it
// does not exist yet: every table the service and its store create without
// a schema goes there.
func openPostgres(ctx context.Context, dsn string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("storeopen: parse PostgreSQL URL: %w", err)
	}
	db := stdlib.OpenDB(*cfg)
	if schema := firstSchema(cfg.RuntimeParams["search_path"]); schema != "" {
		_, err = db.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{schema}.Sanitize())
	} else {
		err = db.PingContext(ctx)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("storeopen: connect to PostgreSQL at %s:%d as %s, database %s: %w", cfg.Host, cfg.Port, cfg.User, cfg.Database, err)
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
