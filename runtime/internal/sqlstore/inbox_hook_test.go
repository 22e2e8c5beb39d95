package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"reflect"
	"testing"

	_ "modernc.org/sqlite" // the database the statements run on; any SQL database would do

	"github.com/evgenhq/evgen/runtime/internal/sqlstore"
	"github.com/evgenhq/evgen/runtime/store"
)

var errHook = errors.New("before-statement hook failed")

// hookCase calls one method of an InboxTx while the hook fails, and checks
// afterwards, with the hook passing again, that the method sent nothing.
type hookCase struct {
	call  func(ctx context.Context, tx *sqlstore.InboxTx) error
	check func(t *testing.T, ctx context.Context, db *sql.DB, tx *sqlstore.InboxTx)
}

// endsTx are the methods that end the transaction: nothing follows them
// that a held statement would have to go before.
var endsTx = map[string]bool{"Commit": true, "Rollback": true}

// TestEveryWritingMethodRunsTheHook: the postgres store holds a savepoint in the
// hook, to send with the next claim, so every statement an InboxTx sends
// must run the hook first or it lands before a savepoint it follows. Each
// method of InboxTx is either here or in endsTx: a method added without
// the hook fails the completeness check until it is classified, and one
// that skips or postpones the hook fails its case.
func TestEveryWritingMethodRunsTheHook(t *testing.T) {
	ref := store.EventRef{Producer: "users", ID: "e1"}
	cases := map[string]hookCase{
		"Claim": {
			call: func(ctx context.Context, tx *sqlstore.InboxTx) error {
				_, err := tx.Claim(ctx, "billing", ref)
				return err
			},
			check: wantRows("inbox", 0),
		},
		"SetLogPosition": {
			call: func(ctx context.Context, tx *sqlstore.InboxTx) error {
				return tx.SetLogPosition(ctx, "billing", "users", 7)
			},
			check: wantRows("positions", 0),
		},
		"Advance": {
			call: func(ctx context.Context, tx *sqlstore.InboxTx) error {
				_, err := tx.Advance(ctx, "billing", store.OrderKey{Producer: "users", Field: "user_id", Value: "u1"}, 3)
				return err
			},
			check: wantRows("orders", 0),
		},
		"Savepoint": {
			call: func(ctx context.Context, tx *sqlstore.InboxTx) error { return tx.Savepoint(ctx, "sp") },
			check: func(t *testing.T, ctx context.Context, _ *sql.DB, tx *sqlstore.InboxTx) {
				if err := tx.RollbackTo(ctx, "sp"); err == nil {
					t.Error("RollbackTo the savepoint whose hook failed: it was set")
				}
			},
		},
		"RollbackTo": {
			call: func(ctx context.Context, tx *sqlstore.InboxTx) error { return tx.RollbackTo(ctx, "sp") },
			check: func(t *testing.T, ctx context.Context, db *sql.DB, tx *sqlstore.InboxTx) {
				wantRows("inbox", 1)(t, ctx, db, tx) // the claim after the savepoint is still there
			},
		},
		"SQL": {
			call: func(ctx context.Context, tx *sqlstore.InboxTx) error {
				_, err := tx.SQL().ExecContext(ctx, `INSERT INTO inbox (consumer, producer, event_id) VALUES ('billing', 'users', 'e2')`)
				if err != nil {
					return err
				}
				return tx.Commit() // SQL returns no error: Commit must
			},
			check: func(t *testing.T, ctx context.Context, db *sql.DB, _ *sqlstore.InboxTx) {
				var n int
				if err := db.QueryRowContext(ctx, `SELECT count(*) FROM inbox`).Scan(&n); err != nil || n != 0 {
					t.Errorf("after the hook failed in SQL, %d inbox rows were committed (%v); want the transaction rolled back", n, err)
				}
			},
		},
	}
	checkClassified(t, cases)
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db, s := newStore(t)
			failing := false
			tx := begin(t, ctx, s, func(context.Context) error {
				if failing {
					return errHook
				}
				return nil
			})
			if name == "RollbackTo" {
				prepareRollback(t, ctx, tx, ref)
			}
			failing = true
			err := tc.call(ctx, tx)
			failing = false
			if !errors.Is(err, errHook) {
				t.Fatalf("%s with a failing hook: %v, want the hook's error", name, err)
			}
			tc.check(t, ctx, db, tx)
		})
	}
}

// checkClassified fails t for each method of InboxTx that is neither a
// case nor in endsTx.
func checkClassified(t *testing.T, cases map[string]hookCase) {
	t.Helper()
	typ := reflect.TypeFor[*sqlstore.InboxTx]()
	for i := range typ.NumMethod() {
		name := typ.Method(i).Name
		if _, ok := cases[name]; !ok && !endsTx[name] {
			t.Errorf("sqlstore.InboxTx.%s: add a case that proves it runs the before-statement hook ahead of its statement, or list it in endsTx", name)
		}
	}
}

// prepareRollback sets savepoint sp and claims e after it.
func prepareRollback(t *testing.T, ctx context.Context, tx *sqlstore.InboxTx, e store.EventRef) {
	t.Helper()
	if err := tx.Savepoint(ctx, "sp"); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Claim(ctx, "billing", e); err != nil {
		t.Fatal(err)
	}
}

// wantRows checks, in the transaction, that table holds n rows.
func wantRows(table string, n int) func(*testing.T, context.Context, *sql.DB, *sqlstore.InboxTx) {
	return func(t *testing.T, ctx context.Context, _ *sql.DB, tx *sqlstore.InboxTx) {
		t.Helper()
		var got int
		if err := tx.SQL().QueryRowContext(ctx, `SELECT count(*) FROM `+table).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != n {
			t.Errorf("%s holds %d rows, want %d: the statement ran although its hook failed", table, got, n)
		}
	}
}

// newStore is a store over a private in-memory SQLite database with the
// three tables its statements write.
func newStore(t *testing.T) (*sql.DB, *sqlstore.Store) {
	t.Helper()
	db, err := sql.Open("sqlite", "file::memory:")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1) // one connection: one in-memory database
	t.Cleanup(func() { db.Close() })
	for _, q := range []string{
		`CREATE TABLE inbox (consumer TEXT, producer TEXT, event_id TEXT, PRIMARY KEY (consumer, producer, event_id))`,
		`CREATE TABLE positions (consumer TEXT, log TEXT, log_offset INTEGER, PRIMARY KEY (consumer, log))`,
		`CREATE TABLE orders (consumer TEXT, producer TEXT, key_field TEXT, key_value TEXT, order_value INTEGER)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	return db, &sqlstore.Store{
		DB:          db,
		Name:        "teststore",
		Claim:       `INSERT INTO inbox (consumer, producer, event_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
		SetPosition: `INSERT INTO positions (consumer, log, log_offset) VALUES (?, ?, ?)`,
		GetPosition: `SELECT log_offset FROM positions WHERE consumer = ? AND log = ?`,
		Advance:     `INSERT INTO orders (consumer, producer, key_field, key_value, order_value) VALUES (?, ?, ?, ?, ?)`,
	}
}

// begin opens a transaction on s's one connection, wrapped with hook.
func begin(t *testing.T, ctx context.Context, s *sqlstore.Store, hook func(context.Context) error) *sqlstore.InboxTx {
	t.Helper()
	sqlTx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	tx := s.Wrap(ctx, sqlTx, hook)
	t.Cleanup(func() { _ = tx.Rollback() }) // ended already in the SQL case
	return tx
}
