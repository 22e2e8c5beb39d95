package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/store/memory"
)

// A handler registered while a Sync started before Run is reading the
// log must not race with the sync's lookups of handlers. Run with -race:
// the race detector is what fails this test on a lookup without the lock.
func TestRegisterDuringSyncDoesNotRace(t *testing.T) {
	const n = 20
	env := newRCEnv(t)
	users, _ := env.service(t, rcUsersContract, memory.New())
	env.run(t, users)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i := range n {
		if err := runtime.Publish(ctx, users, rcRegistered{UserID: rcUserID(i), Email: "x@example.com", Version: 1}); err != nil {
			t.Fatal(err)
		}
	}

	c := rcConsumerContract("billing")
	c.Consumes = append(c.Consumes, invoiceInfo) // another producer's event, registered during the sync
	billing, _ := env.service(t, c, memory.New())
	firstSeen := make(chan struct{})
	seen := 0
	if err := runtime.RegisterAll(billing,
		runtime.On(func(context.Context, rcRegistered, runtime.Meta) error {
			if seen++; seen == 1 {
				close(firstSeen)
			}
			return nil
		}),
		runtime.On(func(context.Context, rcEmailChanged, runtime.Meta) error { return nil }),
	); err != nil {
		t.Fatal(err)
	}
	synced := make(chan error, 1)
	go func() {
		_, err := billing.Sync(ctx, "users", runtime.SyncFromStart(), runtime.SyncOptions{})
		synced <- err
	}()
	select {
	case <-firstSeen:
	case err := <-synced:
		t.Fatalf("Sync ended before applying an event: %v", err)
	}
	if err := billing.Register(runtime.On(func(context.Context, invoicePaid, runtime.Meta) error { return nil })); err != nil {
		t.Fatal(err)
	}
	if err := <-synced; err != nil {
		t.Fatal(err)
	}
	if seen != n {
		t.Errorf("sync applied %d events, want %d", seen, n)
	}
}
