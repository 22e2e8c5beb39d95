package service_test

import (
	"context"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store/memory"
)

// The third case: users answers billing's resync request by
// publishing its snapshot events to billing's queue only; a snapshot older
// than billing's copy changes nothing.
func TestResyncAnswersOnlyTheRequester(t *testing.T) {
	env := newRCEnv(t)
	// users' current state as its snapshot source sees it: user-0001 is
	// deliberately stale (v5) next to the v6 change billing will hold.
	state := map[string]rcUser{
		rcUserID(0): {"u0@example.com", 1},
		rcUserID(1): {"u1.stale@example.com", 5},
		rcUserID(2): {"u2.v2@example.com", 2},
	}
	users, _ := env.service(t, rcUsersContract, memory.New())
	err := users.RegisterSnapshot(runtime.SnapshotOf(func(_ context.Context, keys []string, emit func(rcRegistered) error) error {
		for _, id := range slices.Sorted(func(yield func(string) bool) {
			for id := range state {
				if !yield(id) {
					return
				}
			}
		}) {
			if len(keys) > 0 && !slices.Contains(keys, id) {
				continue
			}
			if err := emit(rcRegistered{UserID: id, Email: state[id].Email, Version: state[id].Version}); err != nil {
				return err
			}
		}
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	env.run(t, users)

	billing := newCustomers(t)
	billingSvc, _ := env.service(t, rcConsumerContract("billing"), billing.store)
	billing.register(t, billingSvc)
	var mu sync.Mutex
	var causes []string
	billing.setBeforeApply(func(_ string, m runtime.Meta) error {
		mu.Lock()
		causes = append(causes, m.CausationID)
		mu.Unlock()
		return nil
	})
	env.run(t, billingSvc)
	audit := newCustomers(t)
	auditSvc, _ := env.service(t, rcConsumerContract("audit"), audit.store)
	audit.register(t, auditSvc)
	env.run(t, auditSvc)() // declares audit's queue, then stops consuming it

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	live := []runtime.Event{
		rcRegistered{UserID: rcUserID(0), Email: "u0@example.com", Version: 1},
		rcRegistered{UserID: rcUserID(1), Email: "u1@example.com", Version: 1},
		rcRegistered{UserID: rcUserID(2), Email: "u2@example.com", Version: 1},
	}
	for _, e := range append(live, rcEmailChanged{UserID: rcUserID(1), Email: "u1.v6@example.com", Version: 6}) {
		if err := runtime.Publish(ctx, users, e); err != nil {
			t.Fatal(err)
		}
	}
	testenv.Eventually(t, 10*time.Second, "the live events", func() bool { n, _ := billing.applied(t); return n == 4 })
	if n := env.messages(t, service.QueueName(env.ns, "audit")); n != 4 {
		t.Fatalf("audit's queue holds %d events, want the 4 live ones", n)
	}

	if err := billingSvc.RequestResync(ctx, "users"); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 10*time.Second, "the 3 snapshots", func() bool { n, _ := billing.applied(t); return n == 7 })
	want := map[string]rcUser{
		rcUserID(0): {"u0@example.com", 1},
		rcUserID(1): {"u1.v6@example.com", 6}, // the v5 snapshot changed nothing
		rcUserID(2): {"u2.v2@example.com", 2},
	}
	if got := billing.rows(t); !maps.Equal(got, want) {
		t.Errorf("billing holds %v, want %v", got, want)
	}

	// Asking for one key re-announces that entity alone.
	state[rcUserID(2)] = rcUser{"u2.v3@example.com", 3}
	if err := billingSvc.RequestResync(ctx, "users", rcUserID(2)); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 10*time.Second, "the keyed snapshot", func() bool { return billing.rows(t)[rcUserID(2)].Version == 3 })
	if n, _ := billing.applied(t); n != 8 {
		t.Errorf("%d events applied, want 8: one snapshot for one key", n)
	}
	if n := env.messages(t, service.QueueName(env.ns, "audit")); n != 4 {
		t.Errorf("audit's queue holds %d events, want still 4: snapshots go to the requester only", n)
	}
	mu.Lock()
	defer mu.Unlock()
	for i, c := range causes[4:] {
		if c == "" {
			t.Errorf("snapshot %d has no causation ID (the request's ID)", i)
		}
	}
}
