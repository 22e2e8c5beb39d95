package pgstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/evgenhq/evgen/runtime/pgstore"
)

// BenchmarkClaim measures events applied per second through the inbox, each
// event one claim plus one row of the handler's own state, as the consume
// benchmark of issue 7 counts them: one transaction per event against
// batches of 100 in one transaction, with and without a savepoint per
// event (the savepoint lets one failing handler undo only its own event).
//
//	go test -run '^$' -bench Claim -benchtime 5000x ./runtime/pgstore/
func BenchmarkClaim(b *testing.B) {
	for _, bc := range []struct {
		name       string
		batch      int
		savepoints bool
	}{
		{"tx_per_event", 1, false},
		{"batch_100_savepoints", 100, true},
		{"batch_100_no_savepoints", 100, false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := newStore(b, pgstore.Options{Logger: quiet})
			state := stateTable(b, s.DB())
			insert := "INSERT INTO " + state + " (event_id) VALUES ($1)"
			ctx := context.Background()
			b.ResetTimer()
			for done := 0; done < b.N; {
				tx, err := s.Begin(ctx)
				if err != nil {
					b.Fatal(err)
				}
				for i := 0; i < bc.batch && done < b.N; i, done = i+1, done+1 {
					if bc.savepoints {
						if err := tx.Savepoint(ctx, fmt.Sprintf("ev%d", i)); err != nil {
							b.Fatal(err)
						}
					}
					id := fmt.Sprintf("event-%d", done)
					if ok, err := tx.Claim(ctx, "billing", id); err != nil || !ok {
						b.Fatalf("claim %s = %v, %v", id, ok, err)
					}
					if _, err := tx.SQL().ExecContext(ctx, insert, id); err != nil {
						b.Fatal(err)
					}
				}
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
