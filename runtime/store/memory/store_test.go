package memory_test

import (
	"context"
	"time"

	"testing"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime/store"
	"github.com/evgenhq/evgen/runtime/store/memory"
	"github.com/evgenhq/evgen/runtime/store/storetest"
)

func TestMemoryStore(t *testing.T) {
	storetest.Run(t, func(*testing.T) store.Store { return memory.New() })
}

func TestMemoryStoreToRabbitMQ(t *testing.T) {
	url := testenv.AMQPURL(t)
	storetest.RunBroker(t, url, func(*testing.T) store.Store { return memory.New() })
}

// Two transactions each holding a copy of the event the other claims next
// (two batches with duplicates in opposite order) must not wait for each
// other forever: one claim fails, as PostgreSQL fails one side of a
// deadlock.
func TestMemoryStoreCrossedClaimsDoNotDeadlock(t *testing.T) {
	ctx := context.Background()
	st := memory.New()
	var txs [2]store.InboxTx
	for i, id := range []string{"x", "y"} {
		tx, err := st.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if won, err := tx.Claim(ctx, "billing", store.EventRef{Producer: "users", ID: id}); err != nil || !won {
			t.Fatalf("claim %s = %v, %v", id, won, err)
		}
		txs[i] = tx
	}
	errs := make(chan error, 2)
	for i, id := range []string{"y", "x"} {
		go func() {
			_, err := txs[i].Claim(ctx, "billing", store.EventRef{Producer: "users", ID: id})
			if err != nil {
				txs[i].Rollback()
			}
			errs <- err
		}()
	}
	failed := 0
	for range 2 {
		select {
		case err := <-errs:
			if err != nil {
				failed++
			}
		case <-time.After(10 * time.Second):
			t.Fatal("crossed claims deadlocked")
		}
	}
	if failed == 0 {
		t.Fatal("both crossed claims succeeded")
	}
}
