package open

import (
	"context"
	"strings"
	"testing"

	"github.com/evgenhq/evgen/runtime/store"
)

// A DSN whose store the program did not import is refused with the import
// that would open it.
func TestUnregisteredStoreSaysWhatToImport(t *testing.T) {
	for _, tc := range []struct {
		scheme, dsn, want string
	}{
		{"postgres", "postgres://127.0.0.1/test", `no store for postgres:// URLs in this program: import _ "github.com/evgenhq/evgen/runtime/store/postgres"`},
		{"postgres", "postgresql://127.0.0.1/test", `import _ "github.com/evgenhq/evgen/runtime/store/postgres"`},
		{"", "service.db", `no store for SQLite file paths in this program: import _ "github.com/evgenhq/evgen/runtime/store/sqlite"`},
	} {
		t.Run(tc.dsn, func(t *testing.T) {
			withoutOpener(t, tc.scheme)
			_, err := Open(context.Background(), tc.dsn)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Open(%q) = %v, want an error containing %q", tc.dsn, err, tc.want)
			}
		})
	}
}

// withoutOpener unregisters scheme's opener until t ends.
func withoutOpener(t *testing.T, scheme string) {
	t.Helper()
	openersMu.Lock()
	saved, ok := openers[scheme]
	delete(openers, scheme)
	openersMu.Unlock()
	t.Cleanup(func() {
		if ok {
			openersMu.Lock()
			openers[scheme] = saved
			openersMu.Unlock()
		}
	})
}

// Registering a scheme twice is a mistake in the program: it panics, as
// database/sql.Register does, rather than let one store shadow another.
func TestRegisterTwicePanics(t *testing.T) {
	const scheme = "registertwice"
	none := func(context.Context, string, Config) (store.Store, error) { return nil, nil }
	Register(scheme, none)
	t.Cleanup(func() { withoutOpener(t, scheme) })
	defer func() {
		if recover() == nil {
			t.Error("a second Register of one scheme did not panic")
		}
	}()
	Register(scheme, none)
}
