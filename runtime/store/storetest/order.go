package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime/store"
)

// RunOrder runs the part of the suite about order values (store.OrderTx):
// what keeps an event older than one applied before of its entity from
// running its handler.
func RunOrder(t *testing.T, newStore NewStore) {
	for _, tc := range []struct {
		name string
		test func(*testing.T, store.Store)
	}{
		{"OnlyForward", testOrderOnlyForward},
		{"KeyedByConsumerProducerAndKey", testOrderKeyed},
		{"RollbackForgets", testOrderRollback},
		{"SavepointUndoes", testOrderSavepoint},
		{"WaitsForConcurrentTransaction", testOrderWaits},
		{"ConcurrentOneWinsTheGreatest", testOrderConcurrent},
		{"PruneKeepsOrder", testOrderPruneKeeps},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.test(t, newStore(t)) })
	}
}

// user42 is the entity most tests order.
var user42 = store.OrderKey{Producer: "users", Field: "user_id", Value: "42"}

func orderTx(t *testing.T, tx store.InboxTx) store.OrderTx {
	t.Helper()
	ot, ok := tx.(store.OrderTx)
	if !ok {
		t.Fatalf("%T does not implement store.OrderTx", tx)
	}
	return ot
}

func advance(t *testing.T, tx store.InboxTx, consumer string, k store.OrderKey, value int64, want bool) {
	t.Helper()
	got, err := orderTx(t, tx).Advance(testContext(t), consumer, k, value)
	if err != nil {
		t.Fatalf("advance %s %v to %d: %v", consumer, k, value, err)
	}
	if got != want {
		t.Fatalf("advance %s %v to %d = %v, want %v", consumer, k, value, got, want)
	}
}

// advanceOnce advances in a transaction of its own.
func advanceOnce(t *testing.T, s store.Store, consumer string, k store.OrderKey, value int64, want bool) {
	t.Helper()
	tx := begin(t, s)
	advance(t, tx, consumer, k, value, want)
	commit(t, tx)
}

// An equal or smaller value is stale, in the transaction that recorded a
// greater one and in later ones.
func testOrderOnlyForward(t *testing.T, s store.Store) {
	tx := begin(t, s)
	advance(t, tx, "billing", user42, 2, true)
	advance(t, tx, "billing", user42, 2, false)
	advance(t, tx, "billing", user42, 1, false)
	advance(t, tx, "billing", user42, 3, true)
	commit(t, tx)
	for _, c := range []struct {
		value int64
		want  bool
	}{{1, false}, {3, false}, {2, false}, {4, true}, {4, false}, {-1, false}} {
		advanceOnce(t, s, "billing", user42, c.value, c.want)
	}
}

// Each consumer, producer, key field and key value has a record of its own.
func testOrderKeyed(t *testing.T, s store.Store) {
	advanceOnce(t, s, "billing", user42, 5, true)
	for _, c := range []struct {
		consumer string
		k        store.OrderKey
	}{
		{"mailer", user42},
		{"billing", store.OrderKey{Producer: "orders", Field: "user_id", Value: "42"}},
		{"billing", store.OrderKey{Producer: "users", Field: "account_id", Value: "42"}},
		{"billing", store.OrderKey{Producer: "users", Field: "user_id", Value: "43"}},
	} {
		advanceOnce(t, s, c.consumer, c.k, 1, true)
	}
	advanceOnce(t, s, "billing", user42, 5, false)
}

func testOrderRollback(t *testing.T, s store.Store) {
	advanceOnce(t, s, "billing", user42, 1, true)
	tx := begin(t, s)
	advance(t, tx, "billing", user42, 7, true)
	rollback(t, tx)
	advanceOnce(t, s, "billing", user42, 2, true)
}

// RollbackTo undoes the values recorded after the savepoint, and only
// those.
func testOrderSavepoint(t *testing.T, s store.Store) {
	ctx := testContext(t)
	other := store.OrderKey{Producer: "users", Field: "user_id", Value: "7"}
	tx := begin(t, s)
	advance(t, tx, "billing", user42, 1, true)
	if err := tx.Savepoint(ctx, "sp1"); err != nil {
		t.Fatal(err)
	}
	advance(t, tx, "billing", user42, 5, true)
	advance(t, tx, "billing", other, 1, true)
	if err := tx.RollbackTo(ctx, "sp1"); err != nil {
		t.Fatal(err)
	}
	advance(t, tx, "billing", user42, 1, false)
	advance(t, tx, "billing", user42, 3, true)
	commit(t, tx)
	advanceOnce(t, s, "billing", user42, 3, false)
	advanceOnce(t, s, "billing", other, 1, true)
}

// An Advance of a key another open transaction recorded waits for it: it
// records a greater value after a rollback, and finds an equal one stale
// after a commit.
func testOrderWaits(t *testing.T, s store.Store) {
	for _, first := range []struct {
		commit bool
		want   bool
	}{{commit: false, want: true}, {commit: true, want: false}} {
		k := store.OrderKey{Producer: "users", Field: "user_id", Value: fmt.Sprintf("held_%v", first.commit)}
		tx := begin(t, s)
		advance(t, tx, "billing", k, 5, true)
		ctx, waiting := waitProbe(t, s, tx)
		type result struct {
			ok  bool
			err error
		}
		done := make(chan result, 1)
		go func() {
			ok, err := advanceAlone(ctx, s, k, 5)
			done <- result{ok, err}
		}()
		testenv.Eventually(t, waitTimeout, "the second Advance of "+k.Value+" to wait for the first transaction", func() bool {
			select {
			case r := <-done:
				t.Fatalf("second Advance of %s returned (%v, %v) while the first transaction was open", k.Value, r.ok, r.err)
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
			t.Errorf("first transaction committed=%v: waiting Advance = %v, want %v", first.commit, r.ok, first.want)
		}
	}
}

func advanceAlone(ctx context.Context, s store.Store, k store.OrderKey, value int64) (bool, error) {
	tx, err := s.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("begin: %w", err)
	}
	ot, ok := tx.(store.OrderTx)
	if !ok {
		_ = tx.Rollback()
		return false, fmt.Errorf("%T does not implement store.OrderTx", tx)
	}
	won, err := ot.Advance(ctx, "billing", k, value)
	if err != nil {
		_ = tx.Rollback() // report the Advance error
		return false, fmt.Errorf("advance %v to %d: %w", k, value, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("commit advance %v to %d: %w", k, value, err)
	}
	return won, nil
}

// Workers advance one key through distinct values in different orders,
// each in transactions of their own: the greatest value is recorded
// exactly once, and nothing after it is.
func testOrderConcurrent(t *testing.T, s store.Store) {
	const workers, each = 6, 10
	ctx := testContext(t)
	k := store.OrderKey{Producer: "users", Field: "user_id", Value: "raced"}
	var mu sync.Mutex
	won := map[int64]int{}
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				v := int64(((i+w*3)%each)*workers + w + 1) // 1..workers*each, each once
				ok, err := advanceAlone(ctx, s, k, v)
				if err != nil {
					errs <- err
					return
				}
				if ok {
					mu.Lock()
					won[v]++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	const greatest = workers * each
	if won[greatest] != 1 {
		t.Errorf("the greatest value %d recorded %d times, want 1 (recorded: %v)", greatest, won[greatest], won)
	}
	advanceOnce(t, s, "billing", k, greatest, false)
	advanceOnce(t, s, "billing", k, greatest+1, true)
}

// Prune forgets inbox rows, never order values: they are what keeps an
// entity's older events out once their inbox rows are gone.
func testOrderPruneKeeps(t *testing.T, s store.Store) {
	p, ok := s.(store.Pruner)
	if !ok {
		t.Fatalf("%T does not implement store.Pruner", s)
	}
	advanceOnce(t, s, "billing", user42, 3, true)
	if _, err := p.Prune(testContext(t), 0); err != nil {
		t.Fatal(err)
	}
	advanceOnce(t, s, "billing", user42, 3, false)
}

// CheckOrderValues checks that s records order values, for a store
// migrated from a database of an earlier runtime (which had no table for
// them): a value is recorded once and only ever raised.
func CheckOrderValues(t *testing.T, s store.Store) {
	t.Helper()
	k := store.OrderKey{Producer: "users", Field: "user_id", Value: "upgraded"}
	advanceOnce(t, s, "billing", k, 2, true)
	advanceOnce(t, s, "billing", k, 2, false)
	advanceOnce(t, s, "billing", k, 3, true)
}
