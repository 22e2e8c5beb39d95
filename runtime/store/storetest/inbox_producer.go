package storetest

import (
	"slices"
	"testing"

	"github.com/evgenhq/evgen/runtime/store"
)

// users is event id of producer "users", the producer of the suite's
// other tests.
func users(id string) store.EventRef { return store.EventRef{Producer: "users", ID: id} }

func usersAll(ids ...string) []store.EventRef {
	refs := make([]store.EventRef, len(ids))
	for i, id := range ids {
		refs[i] = users(id)
	}
	return refs
}

// claimRef claims e in a transaction of its own.
func claimRef(t *testing.T, s store.Store, consumer string, e store.EventRef, want bool) {
	t.Helper()
	tx := begin(t, s)
	got, err := tx.Claim(testContext(t), consumer, e)
	if err != nil {
		t.Fatalf("claim %s/%+v: %v", consumer, e, err)
	}
	commit(t, tx)
	if got != want {
		t.Fatalf("claim %s/%+v = %v, want %v", consumer, e, got, want)
	}
}

// testKeyedByProducer: an event ID is unique within its producer only, so
// the same ID from another producer is another event; the same producer's
// copy is still a duplicate.
func testKeyedByProducer(t *testing.T, s store.Store) {
	claimRef(t, s, "billing", store.EventRef{Producer: "users", ID: "order-42"}, true)
	claimRef(t, s, "billing", store.EventRef{Producer: "orders", ID: "order-42"}, true)
	claimRef(t, s, "billing", store.EventRef{Producer: "users", ID: "order-42"}, false)
	claimRef(t, s, "billing", store.EventRef{Producer: "orders", ID: "order-42"}, false)
}

// testClaimAllKeyedByProducer is testKeyedByProducer for batch claims.
func testClaimAllKeyedByProducer(t *testing.T, s store.Store) {
	tx := begin(t, s)
	bc, ok := tx.(store.BatchClaimer)
	if !ok {
		rollback(t, tx)
		t.Skipf("%T does not claim in batches", tx)
	}
	batch := []store.EventRef{
		{Producer: "users", ID: "x1"}, {Producer: "orders", ID: "x1"}, {Producer: "users", ID: "x1"},
	}
	won, err := bc.ClaimAll(testContext(t), "billing", batch)
	if err != nil {
		t.Fatalf("claim all: %v", err)
	}
	commit(t, tx)
	if want := []bool{true, true, false}; !slices.Equal(won, want) {
		t.Errorf("ClaimAll(users/x1 orders/x1 users/x1) = %v, want %v", won, want)
	}
	claimRef(t, s, "billing", store.EventRef{Producer: "orders", ID: "x1"}, false)
}
