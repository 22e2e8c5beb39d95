package postgres_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime/store"
	"github.com/evgenhq/evgen/runtime/store/postgres"
	"github.com/evgenhq/evgen/runtime/store/storetest"
)

// Migrate upgrades an inbox keyed by (consumer, event_id), the schema
// before producers were part of the key, without losing a row: an event
// applied before the upgrade stays a duplicate (matched by ID alone, from
// whichever producer) until Prune removes its row.
func TestMigrateUpgradesInboxKeyedByEventID(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db := testenv.Postgres(t)
	prefix := testenv.UniqueName("evgen_up") + "_"
	inbox := `"` + prefix + `inbox"`
	for _, q := range []string{
		`CREATE TABLE ` + inbox + ` (consumer TEXT NOT NULL, event_id TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now(), PRIMARY KEY (consumer, event_id))`,
		`CREATE INDEX "` + prefix + `inbox_applied_at" ON ` + inbox + ` (applied_at)`,
		`INSERT INTO ` + inbox + ` (consumer, event_id) VALUES ('billing', 'old-1'), ('billing', 'old-2'), ('mailer', 'old-1')`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	s, err := postgres.New(db, postgres.Options{TablePrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Drop(context.Background()); err != nil {
			t.Errorf("drop: %v", err)
		}
	})
	for range 2 { // a second Migrate finds nothing to upgrade
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("migrate: %v", err)
		}
	}
	var rows int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM `+inbox+` WHERE producer = ''`).Scan(&rows); err != nil || rows != 3 {
		t.Fatalf("%d rows without a producer after the upgrade (%v), want the 3 from before", rows, err)
	}
	checkUpgradedInbox(t, s)
	storetest.CheckOrderValues(t, s) // the order table is new in an old database
}

// checkUpgradedInbox checks claims over an upgraded inbox holding
// billing's old-1 and old-2 and mailer's old-1 from before the upgrade.
func checkUpgradedInbox(t *testing.T, s store.Store) {
	t.Helper()
	ctx := context.Background()
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
	tx, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	won, err := tx.(store.BatchClaimer).ClaimAll(ctx, "billing", []store.EventRef{{Producer: "users", ID: "old-2"}, {Producer: "users", ID: "new-0"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(won, []bool{false, true}) {
		t.Errorf("ClaimAll(old-2 new-0) = %v, want [false true]: old-2 was applied before the upgrade", won)
	}
	claim("mailer", "users", "old-1", false)
	claim("billing", "users", "new-1", true)
	claim("billing", "orders", "new-1", true) // another producer's event
	claim("billing", "users", "new-1", false)

	p := s.(store.Pruner)
	if _, err := p.Prune(ctx, 0); err != nil {
		t.Fatal(err)
	}
	claim("billing", "users", "old-1", true) // pruned, as any row past its retention
}
