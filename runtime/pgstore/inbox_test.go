package pgstore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/pgstore"
)

// stateTable makes a table of the handler's own writes (no key: an event
// applied twice shows as two rows), dropped when t ends.
func stateTable(t testing.TB, db *sql.DB) string {
	t.Helper()
	name := testenv.UniqueName("pgstore_state")
	if _, err := db.Exec("CREATE TABLE " + name + " (event_id TEXT NOT NULL)"); err != nil {
		t.Fatalf("create state table: %v", err)
	}
	t.Cleanup(func() {
		if _, err := db.Exec("DROP TABLE " + name); err != nil {
			t.Errorf("drop state table: %v", err)
		}
	})
	return name
}

// TestConcurrentBatchesApplyEachEventOnce: 10,000 events, each delivered to
// two of four concurrent workers, which handle them in batches of 50 with a
// savepoint per event, the way a concurrent consumer does. A worker claiming
// an event another one holds waits for that transaction and then finds it
// applied. Every event is applied exactly once.
//
// The workers take events in queue order, as consumers do. Two batches that
// claim the same events in opposite orders can deadlock; PostgreSQL then
// aborts one after deadlock_timeout (1s), and it must be retried whole,
// which applyBatch's callers do.
func TestConcurrentBatchesApplyEachEventOnce(t *testing.T) {
	const events, workers, batch = 10_000, 4, 50
	s := newStore(t, pgstore.Options{Logger: quiet})
	state := stateTable(t, s.DB())
	ctx := context.Background()

	var wins, retries atomic.Int64
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		var ids []string
		for i := range events {
			if i%workers == w || i%workers == (w+1)%workers {
				ids = append(ids, fmt.Sprintf("event-%05d", i))
			}
		}
		wg.Go(func() {
			for start := 0; start < len(ids); start += batch {
				chunk := ids[start:min(start+batch, len(ids))]
				for attempt := 1; ; attempt++ {
					n, err := applyBatch(ctx, s, state, chunk)
					if err == nil {
						wins.Add(n)
						break
					}
					if !retryable(err) || attempt == 20 {
						errs <- err
						return
					}
					retries.Add(1)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var rows, distinct int64
	if err := s.DB().QueryRow("SELECT count(*), count(DISTINCT event_id) FROM "+state).Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d claims won, %d batches retried after a deadlock", wins.Load(), retries.Load())
	if wins.Load() != events || rows != events || distinct != events {
		t.Errorf("claims won %d, state rows %d, distinct events %d; want %d each", wins.Load(), rows, distinct, events)
	}
}

// applyBatch claims and applies ids in one transaction, a savepoint per
// event, and returns how many it applied.
func applyBatch(ctx context.Context, s runtime.Store, state string, ids []string) (int64, error) {
	tx, err := s.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback() // after Commit it only reports ErrTxDone
	var n int64
	for i, id := range ids {
		sp := fmt.Sprintf("ev%d", i)
		if err := tx.Savepoint(ctx, sp); err != nil {
			return 0, err
		}
		ok, err := tx.Claim(ctx, "billing", runtime.EventRef{Producer: "users", ID: id})
		if err != nil {
			return 0, err
		}
		if !ok {
			continue
		}
		if _, err := tx.SQL().ExecContext(ctx, "INSERT INTO "+state+" (event_id) VALUES ($1)", id); err != nil {
			return 0, err
		}
		n++
	}
	return n, tx.Commit()
}

// retryable reports a deadlock or serialization failure: the transaction
// was rolled back and may be run again.
func retryable(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && (pg.Code == "40P01" || pg.Code == "40001")
}
