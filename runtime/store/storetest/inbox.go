package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/stdlib"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime/store"
)

// RunInbox runs the inbox half of the suite.
func RunInbox(t *testing.T, newStore NewStore) {
	for _, tc := range []struct {
		name string
		test func(*testing.T, store.Store)
	}{
		{"ClaimThenDuplicate", testClaimThenDuplicate},
		{"RollbackForgetsClaimAndWrites", testRollbackForgets},
		{"SavepointUndoesOneEvent", testSavepoint},
		{"SavepointNames", testSavepointNames},
		{"ConcurrentClaimsOneWins", testConcurrentClaims},
		{"WaitingClaimWinsAfterRollback", testWaitingClaim},
		{"Prune", testPrune},
		{"ClaimAll", testClaimAll},
		{"KeyedByProducer", testKeyedByProducer},
		{"ClaimAllKeyedByProducer", testClaimAllKeyedByProducer},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.test(t, newStore(t)) })
	}
}

func begin(t *testing.T, s store.Store) store.InboxTx {
	t.Helper()
	tx, err := s.Begin(testContext(t))
	if err != nil {
		t.Fatalf("begin: %v", err)
	}
	return tx
}

func claim(t *testing.T, tx store.InboxTx, consumer, id string, want bool) {
	t.Helper()
	got, err := tx.Claim(testContext(t), consumer, users(id))
	if err != nil {
		t.Fatalf("claim %s/%s: %v", consumer, id, err)
	}
	if got != want {
		t.Fatalf("claim %s/%s = %v, want %v", consumer, id, got, want)
	}
}

func commit(t *testing.T, tx store.InboxTx) {
	t.Helper()
	if err := tx.Commit(); err != nil {
		t.Fatalf("commit: %v", err)
	}
}

func rollback(t *testing.T, tx store.InboxTx) {
	t.Helper()
	if err := tx.Rollback(); err != nil {
		t.Fatalf("rollback: %v", err)
	}
}

// claimOnce claims id for consumer in a transaction of its own.
func claimOnce(t *testing.T, s store.Store, consumer, id string, want bool) {
	t.Helper()
	tx := begin(t, s)
	claim(t, tx, consumer, id, want)
	commit(t, tx)
}

func testClaimThenDuplicate(t *testing.T, s store.Store) {
	tx := begin(t, s)
	claim(t, tx, "billing", "e1", true)
	claim(t, tx, "billing", "e1", false) // twice in one transaction
	commit(t, tx)
	if err := tx.Rollback(); err == nil {
		t.Error("rollback after commit: want an error")
	}

	claimOnce(t, s, "billing", "e1", false)
	claimOnce(t, s, "mailer", "e1", true) // each consumer has its own inbox
	claimOnce(t, s, "billing", "e2", true)
}

func testRollbackForgets(t *testing.T, s store.Store) {
	fx := newEffects(t, s)
	tx := begin(t, s)
	claim(t, tx, "billing", "e1", true)
	fx.write(t, tx, "e1")
	rollback(t, tx)

	tx = begin(t, s)
	claim(t, tx, "billing", "e1", true)
	commit(t, tx)
	if fx != nil {
		if got := fx.ids(t); len(got) != 0 {
			t.Errorf("effects after rollback = %v, want none", got)
		}
	}
}

// testSavepoint is a batch of three events where the second fails: only
// its claim and writes are undone.
func testSavepoint(t *testing.T, s store.Store) {
	fx := newEffects(t, s)
	ctx := testContext(t)
	tx := begin(t, s)
	for _, id := range []string{"e1", "e2", "e3"} {
		sp := "ev_" + id
		if err := tx.Savepoint(ctx, sp); err != nil {
			t.Fatalf("savepoint %s: %v", sp, err)
		}
		claim(t, tx, "billing", id, true)
		fx.write(t, tx, id)
		if id == "e2" {
			if err := tx.RollbackTo(ctx, sp); err != nil {
				t.Fatalf("rollback to %s: %v", sp, err)
			}
		}
	}
	commit(t, tx)

	claimOnce(t, s, "billing", "e1", false)
	claimOnce(t, s, "billing", "e3", false)
	claimOnce(t, s, "billing", "e2", true)
	if fx != nil {
		if got, want := fx.ids(t), []string{"e1", "e3"}; !slices.Equal(got, want) {
			t.Errorf("effects = %v, want %v", got, want)
		}
	}
}

func testSavepointNames(t *testing.T, s store.Store) {
	ctx := testContext(t)
	tx := begin(t, s)
	defer tx.Rollback()
	for _, bad := range []string{"", "1a", "a-b", "sp; DROP TABLE x", `"sp"`} {
		if err := tx.Savepoint(ctx, bad); err == nil {
			t.Errorf("Savepoint(%q): want an error", bad)
		}
	}
	if err := tx.RollbackTo(ctx, "never_set"); err == nil {
		t.Error("RollbackTo a savepoint never set: want an error")
	}
}

// testConcurrentClaims has workers race to claim the same events, each
// claim in its own transaction: every event is won exactly once.
func testConcurrentClaims(t *testing.T, s store.Store) {
	const workers, events = 8, 40
	ctx := testContext(t)
	wins := make([][]bool, workers)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wins[w] = make([]bool, events)
		wg.Go(func() {
			for i := range events {
				ok, err := claimAlone(ctx, s, fmt.Sprintf("e%d", (i+w*5)%events))
				if err != nil {
					errs <- err
					return
				}
				wins[w][(i+w*5)%events] = ok
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i := range events {
		n := 0
		for w := range workers {
			if wins[w][i] {
				n++
			}
		}
		if n != 1 {
			t.Errorf("event e%d claimed by %d workers, want 1", i, n)
		}
	}
}

func claimAlone(ctx context.Context, s store.Store, id string) (bool, error) {
	tx, err := s.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("begin: %w", err)
	}
	ok, err := tx.Claim(ctx, "billing", users(id))
	if err != nil {
		_ = tx.Rollback() // report the claim error
		return false, fmt.Errorf("claim %s: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("commit claim %s: %w", id, err)
	}
	return ok, nil
}

// testWaitingClaim: a claim that waits for a concurrent transaction holding
// the same event wins if that transaction rolls back, loses if it commits.
func testWaitingClaim(t *testing.T, s store.Store) {
	for _, first := range []struct {
		commit bool
		want   bool
	}{{commit: false, want: true}, {commit: true, want: false}} {
		id := fmt.Sprintf("held_%v", first.commit)
		tx := begin(t, s)
		claim(t, tx, "billing", id, true)
		ctx, waiting := waitProbe(t, s, tx)
		type result struct {
			ok  bool
			err error
		}
		done := make(chan result, 1)
		go func() {
			ok, err := claimAlone(ctx, s, id)
			done <- result{ok, err}
		}()
		testenv.Eventually(t, waitTimeout, "the second claim of "+id+" to wait for the first transaction", func() bool {
			select {
			case r := <-done:
				t.Fatalf("second claim of %s returned (%v, %v) while the first transaction was open", id, r.ok, r.err)
			default:
			}
			return waiting()
		})
		if first.commit {
			commit(t, tx)
		} else {
			rollback(t, tx)
		}
		r := <-done
		if r.err != nil {
			t.Fatal(r.err)
		}
		if r.ok != first.want {
			t.Errorf("first transaction committed=%v: waiting claim = %v, want %v", first.commit, r.ok, first.want)
		}
	}
}

// waitProbe returns the context for a claim that must wait for tx, and a
// probe that reports, from the store's own state, that a claim is waiting:
// PostgreSQL lists a session blocked by tx's; another database/sql pool
// (SQLite's single connection) counts a caller waiting for the connection
// tx holds; the memory store's claim asks for its context's Done channel
// only when it waits for a concurrent transaction.
func waitProbe(t *testing.T, s store.Store, tx store.InboxTx) (context.Context, func() bool) {
	t.Helper()
	ctx := testContext(t)
	db := s.DB()
	switch {
	case db == nil:
		w := &doneWatch{Context: ctx, asked: make(chan struct{})}
		return w, func() bool { return w.wasAsked() }
	case isPostgres(db):
		var pid int
		if err := tx.SQL().QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
			t.Fatalf("backend of the first transaction: %v", err)
		}
		return ctx, func() bool {
			var blocked int
			q := "SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))"
			if err := db.QueryRowContext(ctx, q, pid).Scan(&blocked); err != nil {
				t.Fatalf("sessions blocked by the first transaction: %v", err)
			}
			return blocked > 0
		}
	default:
		before := db.Stats().WaitCount
		return ctx, func() bool { return db.Stats().WaitCount > before }
	}
}

func isPostgres(db *sql.DB) bool {
	_, ok := db.Driver().(*stdlib.Driver)
	return ok
}

// doneWatch is a context that records that Done was called.
type doneWatch struct {
	context.Context
	once  sync.Once
	asked chan struct{}
}

func (c *doneWatch) Done() <-chan struct{} {
	c.once.Do(func() { close(c.asked) })
	return c.Context.Done()
}

func (c *doneWatch) wasAsked() bool {
	select {
	case <-c.asked:
		return true
	default:
		return false
	}
}

func testPrune(t *testing.T, s store.Store) {
	p, ok := s.(store.Pruner)
	if !ok {
		t.Fatalf("%T does not implement store.Pruner", s)
	}
	if p.Retention() <= 0 {
		t.Errorf("Retention() = %v, want > 0", p.Retention())
	}
	ctx := testContext(t)
	claimOnce(t, s, "billing", "old", true)
	n, err := p.Prune(ctx, time.Hour)
	if err != nil {
		t.Fatalf("prune: %v", err)
	}
	if n != 0 {
		t.Errorf("Prune(1h) deleted %d rows of a fresh claim, want 0", n)
	}
	claimOnce(t, s, "billing", "old", false)
	n, err = p.Prune(ctx, 0)
	if err != nil {
		t.Fatalf("prune: %v", err)
	}
	if n != 1 {
		t.Errorf("Prune(0) deleted %d rows, want 1", n)
	}
	claimOnce(t, s, "billing", "old", true) // forgotten: applied again
}

// testClaimAll runs for stores whose transactions are store.BatchClaimers.
func testClaimAll(t *testing.T, s store.Store) {
	ctx := testContext(t)
	tx := begin(t, s)
	bc, ok := tx.(store.BatchClaimer)
	if !ok {
		rollback(t, tx)
		t.Skipf("%T does not claim in batches", tx)
	}
	claim(t, tx, "billing", "e0", true)
	won, err := bc.ClaimAll(ctx, "billing", usersAll("e1", "e0", "e2", "e1"))
	if err != nil {
		t.Fatalf("claim all: %v", err)
	}
	if want := []bool{true, false, true, false}; !slices.Equal(won, want) {
		t.Errorf("ClaimAll(e1 e0 e2 e1) = %v, want %v", won, want)
	}
	commit(t, tx)

	tx = begin(t, s)
	won, err = tx.(store.BatchClaimer).ClaimAll(ctx, "billing", usersAll("e2", "e3"))
	if err != nil {
		t.Fatalf("claim all: %v", err)
	}
	rollback(t, tx)
	if want := []bool{false, true}; !slices.Equal(won, want) {
		t.Errorf("ClaimAll(e2 e3) after commit = %v, want %v", won, want)
	}
	claimOnce(t, s, "billing", "e3", true) // the rolled-back batch claim is forgotten
}
