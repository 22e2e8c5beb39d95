package open_test

import (
	"context"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime/store"
	"github.com/evgenhq/evgen/runtime/store/open"
	_ "github.com/evgenhq/evgen/runtime/store/postgres"
	_ "github.com/evgenhq/evgen/runtime/store/sqlite"
)

var ctx = context.Background()

func TestBadDSN(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, dsn string
		opts      []open.Option
		want      string
	}{
		{"empty", "", nil, "no database given"},
		{"blank", "  ", nil, "no database given"},
		{"other scheme", "mysql://root@localhost/db", nil, `scheme "mysql" is not supported`},
		{"bad port", "postgres://127.0.0.1:notaport/test", nil, "parse PostgreSQL URL"},
		{"unreachable", "postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=2", nil, "connect to PostgreSQL at 127.0.0.1:1"},
		{"SQLite path with a query", filepath.Join(dir, "x.db") + "?mode=ro", nil, "want a file path without ? or #"},
		{"SQLite in a missing directory", filepath.Join(dir, "no", "such", "x.db"), nil, "sqlite: open"},
		{"bad table prefix", filepath.Join(dir, "y.db"), []open.Option{open.WithTablePrefix("Bad-Prefix")}, `table prefix "Bad-Prefix"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := open.Open(ctx, tc.dsn, tc.opts...)
			if err == nil {
				st.DB().Close()
				t.Fatalf("Open(%q) succeeded, want an error containing %q", tc.dsn, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Open(%q) = %v, want an error containing %q", tc.dsn, err, tc.want)
			}
		})
	}
}

func TestSQLiteFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "service.db")
	st := openStore(t, path)
	claim(t, st, "e1", true)
	st.DB().Close()

	// The same file again: the migration is idempotent and the inbox
	// remembers what the first store applied.
	st = openStore(t, path, open.WithTablePrefix("evgen_"))
	claim(t, st, "e1", false)
	claim(t, st, "e2", true)
}

func TestPostgresSearchPath(t *testing.T) {
	admin := testenv.Postgres(t)
	schema := strings.ToLower(testenv.UniqueName("storeopen"))
	t.Cleanup(func() {
		if _, err := admin.Exec(`DROP SCHEMA IF EXISTS "` + schema + `" CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(testenv.PostgresDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", `"`+schema+`", public`)
	u.RawQuery = q.Encode()

	st := openStore(t, u.String())
	claim(t, st, "e1", true)
	claim(t, st, "e1", false)

	var tables []string
	rows, err := admin.Query(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`, schema)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	if got := strings.Join(tables, " "); !strings.Contains(got, "evgen_inbox") || !strings.Contains(got, "evgen_outbox") {
		t.Errorf("schema %s holds tables [%s], want the store's inbox and outbox there", schema, got)
	}
}

// openStore opens dsn and closes the store's database when t ends.
func openStore(t *testing.T, dsn string, opts ...open.Option) store.Store {
	t.Helper()
	st, err := open.Open(ctx, dsn, opts...)
	if err != nil {
		t.Fatalf("Open(%q): %v", dsn, err)
	}
	t.Cleanup(func() { st.DB().Close() })
	return st
}

// claim claims eventID in the store's inbox, commits, and fails t unless
// the claim's outcome is want (true: new; false: applied before).
func claim(t *testing.T, st store.Store, eventID string, want bool) {
	t.Helper()
	tx, err := st.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	won, err := tx.Claim(ctx, "test", store.EventRef{Producer: "users", ID: eventID})
	if err != nil {
		tx.Rollback()
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if won != want {
		t.Errorf("claim %s: new = %v, want %v", eventID, won, want)
	}
}
