package sqlstore

import (
	"database/sql"
	"strings"
	"testing"

	"github.com/evgenhq/evgen/runtime/store"
)

func TestPrepare(t *testing.T) {
	db := &sql.DB{} // never used: Prepare only checks it is not nil
	for _, tc := range []struct {
		name    string
		db      *sql.DB
		opts    Options
		wantErr string
	}{
		{"zero value", db, Options{}, ""},
		{"nil db", nil, Options{}, "teststore: db is nil"},
		{"upper-case prefix", db, Options{TablePrefix: "Evgen_"}, `teststore: table prefix "Evgen_"`},
		{"quote in prefix", db, Options{TablePrefix: `x"; DROP`}, "teststore: table prefix"},
		{"negative retention", db, Options{Retention: -1}, "must not be negative"},
		{"negative batch", db, Options{RelayBatchSize: -1}, "must not be negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.opts.Prepare("teststore", tc.db)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Prepare: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Prepare: got %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestPrepareDefaults(t *testing.T) {
	var o Options
	if err := o.Prepare("teststore", &sql.DB{}); err != nil {
		t.Fatal(err)
	}
	if o.TablePrefix != "evgen_" || o.Retention != store.DefaultRetention || o.RelayBatchSize != 500 || o.RelayPollInterval <= 0 || o.Logger == nil {
		t.Errorf("defaults not set: %+v", o)
	}
	if got := o.Table("inbox"); got != `"evgen_inbox"` {
		t.Errorf("Table(inbox) = %s, want \"evgen_inbox\"", got)
	}
}
