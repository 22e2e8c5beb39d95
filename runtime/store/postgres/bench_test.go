package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/evgenhq/evgen/runtime/store"
	"github.com/evgenhq/evgen/runtime/store/postgres"
)

// BenchmarkClaim measures events applied per second through the inbox, each
// event one claim plus one row of the handler's own state, as the consume
// benchmark of issue 7 counts them: one transaction per event against
// batches of 100 in one transaction, with and without a savepoint per
// event (the savepoint lets one failing handler undo only its own event),
// and with the batch's claims in one statement (ClaimAll).
//
//	go test -run '^$' -bench Claim -benchtime 5000x ./runtime/store/postgres/
func BenchmarkClaim(b *testing.B) {
	for _, bc := range []struct {
		name       string
		batch      int
		savepoints bool
		claimAll   bool
	}{
		{"tx_per_event", 1, false, false},
		{"batch_100_savepoints", 100, true, false},
		{"batch_100_no_savepoints", 100, false, false},
		{"batch_100_claim_all", 100, false, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := newStore(b, postgres.Options{Logger: quiet})
			state := stateTable(b, s.DB())
			insert := "INSERT INTO " + state + " (event_id) VALUES ($1)"
			ctx := context.Background()
			b.ResetTimer()
			for done := 0; done < b.N; {
				n := min(bc.batch, b.N-done)
				ids := make([]store.EventRef, n)
				for i := range ids {
					ids[i] = store.EventRef{Producer: "users", ID: fmt.Sprintf("event-%d", done+i)}
				}
				if err := claimBatch(ctx, s, insert, ids, bc.savepoints, bc.claimAll); err != nil {
					b.Fatal(err)
				}
				done += n
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// claimBatch claims ids and writes a state row for each in one
// transaction, rolled back on any failure: a transaction left open would
// hold the cleanup's DROP of the state table, and every outbox relay of
// the database, forever.
func claimBatch(ctx context.Context, s store.Store, insert string, ids []store.EventRef, savepoints, claimAll bool) error {
	tx, err := s.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback() // after Commit it only reports ErrTxDone
	if claimAll {
		won, err := tx.(store.BatchClaimer).ClaimAll(ctx, "billing", ids)
		if err != nil || !slices.Equal(won, slices.Repeat([]bool{true}, len(ids))) {
			return fmt.Errorf("claim all = %v, %v", won, err)
		}
	}
	for i, id := range ids {
		if savepoints {
			if err := tx.Savepoint(ctx, fmt.Sprintf("ev%d", i)); err != nil {
				return err
			}
		}
		if !claimAll {
			if ok, err := tx.Claim(ctx, "billing", id); err != nil || !ok {
				return fmt.Errorf("claim %s = %v, %v", id.ID, ok, err)
			}
		}
		if _, err := tx.SQL().ExecContext(ctx, insert, id.ID); err != nil {
			return err
		}
	}
	return tx.Commit()
}
