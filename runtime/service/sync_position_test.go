package service_test

import (
	"context"
	"testing"

	"github.com/evgenhq/evgen/runtime/store"
)

// Two replicas syncing one log commit positions in any order: the later
// commit of an earlier offset leaves the position where it was.
func TestLogPositionNeverMovesBack(t *testing.T) {
	ctx := context.Background()
	for name, st := range positionStores(t) {
		t.Run(name, func(t *testing.T) {
			// One at a time: concurrent writers of one row wait for each
			// other (and SQLite's pool holds a single connection).
			for _, off := range []int64{97, 50} {
				tx := beginTx(t, st)
				setPosition(t, tx, off)
				if err := tx.Commit(); err != nil {
					t.Fatal(err)
				}
			}
			off, ok, err := st.(store.LogPositions).LogPosition(ctx, "billing", "ns.users.log")
			if err != nil || !ok || off != 97 {
				t.Fatalf("position = %d, %v, %v after commits of 97 then 50; want 97", off, ok, err)
			}
			forward := beginTx(t, st)
			setPosition(t, forward, 98)
			if err := forward.Commit(); err != nil {
				t.Fatal(err)
			}
			if off, _, _ := st.(store.LogPositions).LogPosition(ctx, "billing", "ns.users.log"); off != 98 {
				t.Fatalf("position = %d, want 98", off)
			}
		})
	}
}

func beginTx(t *testing.T, s store.Store) store.InboxTx {
	t.Helper()
	tx, err := s.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

func setPosition(t *testing.T, tx store.InboxTx, off int64) {
	t.Helper()
	if err := tx.(store.LogPositionTx).SetLogPosition(context.Background(), "billing", "ns.users.log", off); err != nil {
		t.Fatal(err)
	}
}
