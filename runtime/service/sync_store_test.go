package service_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime/store"
	"github.com/evgenhq/evgen/runtime/store/memory"
	"github.com/evgenhq/evgen/runtime/store/postgres"
	"github.com/evgenhq/evgen/runtime/store/sqlite"
)

// positionStores returns each store that keeps log positions, migrated,
// with its tables dropped when t ends.
func positionStores(t *testing.T) map[string]store.Store {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "pos.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	lite, err := sqlite.New(db, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pg, err := postgres.New(testenv.Postgres(t), postgres.Options{TablePrefix: testenv.UniqueName("pos") + "_"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := pg.Drop(context.Background()); err != nil {
			t.Errorf("drop: %v", err)
		}
	})
	stores := map[string]store.Store{"memory": memory.New(), "sqlite": lite, "postgres": pg}
	for name, s := range stores {
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("%s: migrate: %v", name, err)
		}
	}
	return stores
}

// A log position commits with its inbox transaction, is forgotten on
// rollback, and a later commit overwrites it.
func TestLogPositionCommitsWithInbox(t *testing.T) {
	ctx := context.Background()
	for name, st := range positionStores(t) {
		t.Run(name, func(t *testing.T) {
			set := func(off int64, commit bool) {
				t.Helper()
				tx, err := st.Begin(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if err := tx.(store.LogPositionTx).SetLogPosition(ctx, "billing", "ns.users.log", off); err != nil {
					t.Fatal(err)
				}
				end := tx.Rollback
				if commit {
					end = tx.Commit
				}
				if err := end(); err != nil {
					t.Fatal(err)
				}
			}
			get := func() (int64, bool) {
				t.Helper()
				off, ok, err := st.(store.LogPositions).LogPosition(ctx, "billing", "ns.users.log")
				if err != nil {
					t.Fatal(err)
				}
				return off, ok
			}
			if _, ok := get(); ok {
				t.Fatal("position before any sync")
			}
			set(41, false)
			if _, ok := get(); ok {
				t.Fatal("rolled-back position visible")
			}
			set(41, true)
			set(97, true)
			if off, ok := get(); !ok || off != 97 {
				t.Fatalf("position = %d, %v; want 97", off, ok)
			}
			set(120, false)
			if off, _ := get(); off != 97 {
				t.Fatalf("position = %d after a rollback, want 97", off)
			}
		})
	}
}
