package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/evgenhq/evgen/runtime/store"
	"github.com/evgenhq/evgen/runtime/store/sqlite"
	"github.com/evgenhq/evgen/runtime/store/storetest"
)

// Migrate upgrades an inbox keyed by (consumer, event_id), the schema
// before producers were part of the key, without losing a row: an event
// applied before the upgrade stays a duplicate (matched by ID alone, from
// whichever producer) until Prune removes its row.
func TestMigrateUpgradesInboxKeyedByEventID(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "old.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	now := time.Now().UnixNano()
	for _, q := range []string{
		`CREATE TABLE "evgen_inbox" (consumer TEXT NOT NULL, event_id TEXT NOT NULL, applied_at INTEGER NOT NULL, PRIMARY KEY (consumer, event_id))`,
		`CREATE INDEX "evgen_inbox_applied_at" ON "evgen_inbox" (applied_at)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	for _, row := range [][2]string{{"billing", "old-1"}, {"billing", "old-2"}, {"mailer", "old-1"}} {
		if _, err := db.ExecContext(ctx, `INSERT INTO "evgen_inbox" VALUES (?, ?, ?)`, row[0], row[1], now); err != nil {
			t.Fatal(err)
		}
	}
	s, err := sqlite.New(db, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // a second Migrate finds nothing to upgrade
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("migrate: %v", err)
		}
	}
	var rows int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM "evgen_inbox" WHERE producer = ''`).Scan(&rows); err != nil || rows != 3 {
		t.Fatalf("%d rows without a producer after the upgrade (%v), want the 3 from before", rows, err)
	}
	claim := func(consumer, producer, id string, want bool) {
		t.Helper()
		tx, err := s.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got, err := tx.Claim(ctx, consumer, store.EventRef{Producer: producer, ID: id})
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("claim %s %s/%s = %v, want %v", consumer, producer, id, got, want)
		}
	}
	claim("billing", "users", "old-1", false) // applied before the upgrade
	claim("billing", "orders", "old-1", false)
	claim("billing", "users", "old-2", false)
	claim("mailer", "users", "old-1", false)
	claim("billing", "users", "new-1", true)
	claim("billing", "orders", "new-1", true) // another producer's event
	claim("billing", "users", "new-1", false)
	storetest.CheckOrderValues(t, s) // the order table is new in an old database
	if _, err := s.Prune(ctx, 0); err != nil {
		t.Fatal(err)
	}
	claim("billing", "users", "old-1", true) // pruned, as any row past its retention
}
