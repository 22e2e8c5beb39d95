package service_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store/memory"
	"github.com/evgenhq/evgen/runtime/store/postgres"
)

// Two producers' events with the same ID (WithID lets each choose it) are
// two events: the consumer applies both, and still drops the same
// producer's second copy. In ordered mode (claims one by one) and in
// concurrent mode (claims of a batch in one statement).
func TestSameIDFromTwoProducersAppliedBoth(t *testing.T) {
	for _, concurrency := range []int{1, 4} {
		t.Run(fmt.Sprintf("concurrency=%d", concurrency), func(t *testing.T) {
			b := newBroker(t)
			store, err := postgres.New(testenv.Postgres(t), postgres.Options{TablePrefix: testenv.UniqueName("inboxprod") + "_"})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if err := store.Drop(context.Background()); err != nil {
					t.Errorf("drop: %v", err)
				}
			})
			shipping, reg := b.Service(t, shippingContract, store, func(c *service.Config) { c.Concurrency = concurrency })
			var mu sync.Mutex
			applied := map[string]int{}
			record := func(m runtime.Meta) {
				mu.Lock()
				applied[m.Type+"/"+m.ID]++
				mu.Unlock()
			}
			if err := runtime.RegisterAll(shipping,
				runtime.On(func(_ context.Context, _ userRegistered, m runtime.Meta) error { record(m); return nil }),
				runtime.On(func(_ context.Context, _ invoicePaid, m runtime.Meta) error { record(m); return nil }),
			); err != nil {
				t.Fatal(err)
			}
			start(t, shipping)
			ready(t, shipping)
			users, _ := b.Service(t, usersContract, memory.New())
			billing, _ := b.Service(t, billingContract, memory.New())
			ctx := context.Background()
			for _, p := range []struct {
				svc *service.Service
				e   runtime.Event
			}{
				{users, userRegistered{UserID: "u1"}},
				{billing, invoicePaid{InvoiceID: "i1"}},
				{users, userRegistered{UserID: "u1"}}, // the same producer's copy
			} {
				if err := p.svc.Publish(ctx, encode(t, p.e, runtime.WithID("order-42"))); err != nil {
					t.Fatal(err)
				}
			}
			settled := func() float64 {
				return metric(t, reg, "evgen_events_consumed_total") + metric(t, reg, "evgen_events_duplicates_total")
			}
			testenv.Eventually(t, 10*time.Second, "the 3 deliveries settled", func() bool { return settled() == 3 })
			mu.Lock()
			defer mu.Unlock()
			want := map[string]int{"users.UserRegistered/order-42": 1, "billing.InvoicePaid/order-42": 1}
			if len(applied) != 2 || applied["users.UserRegistered/order-42"] != 1 || applied["billing.InvoicePaid/order-42"] != 1 {
				t.Errorf("applied %v, want %v", applied, want)
			}
			if got := metric(t, reg, "evgen_events_duplicates_total"); got != 1 {
				t.Errorf("duplicates = %v, want 1: the users copy", got)
			}
		})
	}
}
