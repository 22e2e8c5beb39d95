package service_test

import (
	"context"
	"errors"
	"maps"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store/memory"
)

// syncFixture is a users producer whose log holds 500 registrations, 300
// email changes and 50 events no consumer here takes.
type syncFixture struct {
	env   *rcEnv
	users *service.Service
	truth *truth
}

func newSyncFixture(t *testing.T) *syncFixture {
	t.Helper()
	f := &syncFixture{env: newRCEnv(t), truth: &truth{}}
	f.users, _ = f.env.service(t, rcUsersContract, memory.New())
	f.env.run(t, f.users) // declares the exchange and the event log
	events := registrations(f.truth, 500)
	events = append(events, emailChanges(f.truth, 0, 300, 2)...)
	for i := range 50 {
		events = append(events, rcPlanChanged{UserID: rcUserID(i)})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// Registrations first, so that each user's events are in version order.
	if err := publishAll(ctx, f.users, events[:500]); err != nil {
		t.Fatal(err)
	}
	if err := publishAll(ctx, f.users, events[500:]); err != nil {
		t.Fatal(err)
	}
	return f
}

// The first case: a consumer with an empty database, started after
// 500 registrations and 300 email changes, syncs to an exact copy; events
// published during the sync reach it through its live queue.
func TestSyncFreshConsumerCatchesUp(t *testing.T) {
	f := newSyncFixture(t)
	billing := newCustomers(t)
	svc, reg := f.env.service(t, rcConsumerContract("billing"), billing.store)
	billing.register(t, svc)
	f.env.run(t, svc)

	// Once the sync is under way, 100 more email changes are published.
	var duringSync sync.WaitGroup
	var once sync.Once
	var publishErr error
	progress := func(p runtime.SyncProgress) {
		once.Do(func() {
			duringSync.Add(1)
			go func() {
				defer duringSync.Done()
				publishErr = publishAll(context.Background(), f.users, emailChanges(f.truth, 0, 100, 3))
			}()
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p, err := svc.Sync(ctx, "users", runtime.SyncFromStart(), runtime.SyncOptions{Progress: progress, ProgressEvery: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	duringSync.Wait()
	if publishErr != nil {
		t.Fatal(publishErr)
	}
	if !p.Done || p.Skipped != 50 || p.Applied+p.Duplicates != 800 || p.Total() < 851 {
		t.Errorf("progress = %+v (total %d), want done, 50 skipped, 800 applied or duplicate, at least 851 in all", p, p.Total())
	}
	want := f.truth.copy()
	testenv.Eventually(t, 30*time.Second, "billing's copy to match users", func() bool { return maps.Equal(billing.rows(t), want) })
	if total, twice := billing.applied(t); twice != 0 || total != 900 {
		t.Errorf("applied %d events, %d of them twice; want 900, none twice", total, twice)
	}
	if got := metric(t, reg, "evgen_sync_events_total"); got != 850 {
		t.Errorf("evgen_sync_events_total = %v, want 850", got)
	}
}

// The second case: a sync killed half-way resumes from its
// position when run again and applies nothing twice.
func TestSyncResumesAfterInterruption(t *testing.T) {
	f := newSyncFixture(t)
	ledger := newCustomers(t)
	svc, _ := f.env.service(t, rcConsumerContract("ledger"), ledger.store)
	ledger.register(t, svc)

	ctx, kill := context.WithCancel(context.Background())
	defer kill()
	var handled atomic.Int64
	ledger.setBeforeApply(func(string, runtime.Meta) error {
		if handled.Add(1) == 300 {
			kill() // the event in flight still commits, as in a shutdown
		}
		return nil
	})
	_, err := svc.Sync(ctx, "users", runtime.SyncFromStart(), runtime.SyncOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("first sync = %v, want it interrupted", err)
	}
	pos, ok, perr := ledger.store.LogPosition(context.Background(), "ledger", f.env.ns+".users.log")
	if perr != nil || !ok {
		t.Fatalf("stored position = %d, %v, %v", pos, ok, perr)
	}
	if total, _ := ledger.applied(t); total < 300 || total >= 800 {
		t.Fatalf("%d events applied before the interruption, want about half", total)
	}

	ledger.setBeforeApply(nil)
	ctx2, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p, err := svc.Sync(ctx2, "users", runtime.SyncFromStart(), runtime.SyncOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.First != pos+1 || p.Duplicates != 0 {
		t.Errorf("second sync read from %d with %d duplicates; want %d, none", p.First, p.Duplicates, pos+1)
	}
	if got, want := ledger.rows(t), f.truth.copy(); !maps.Equal(got, want) {
		t.Errorf("ledger holds %d users, not an exact copy of users' %d", len(got), len(want))
	}
	if total, twice := ledger.applied(t); twice != 0 || total != 800 {
		t.Errorf("applied %d events, %d of them twice; want 800, none twice", total, twice)
	}
}
