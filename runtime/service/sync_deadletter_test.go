package service_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/store/memory"
)

// An event dead-lettered during a sync records its position: a sync
// interrupted right after it resumes behind it, and the dead-letter queue
// holds it once.
func TestSyncInterruptedAfterDeadLetterResumesBehindIt(t *testing.T) {
	const n, poison = 10, 3
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

	billing, _ := env.service(t, rcConsumerContract("billing"), memory.New())
	syncCtx, interrupt := context.WithCancel(ctx)
	defer interrupt()
	interrupted := false
	applied := map[string]int{}
	if err := runtime.RegisterAll(billing,
		runtime.On(func(_ context.Context, e rcRegistered, _ runtime.Meta) error {
			switch {
			case e.UserID == rcUserID(poison):
				return runtime.Permanent(errors.New("poison"))
			case e.UserID == rcUserID(poison+1) && !interrupted:
				// The event right after the dead-lettered one: the sync
				// stops before anything commits a later position.
				interrupted = true
				interrupt()
				return errors.New("interrupted")
			}
			applied[e.UserID]++
			return nil
		}),
		runtime.On(func(context.Context, rcEmailChanged, runtime.Meta) error { return nil }),
	); err != nil {
		t.Fatal(err)
	}
	if _, err := billing.Sync(syncCtx, "users", runtime.SyncFromStart(), runtime.SyncOptions{}); err == nil {
		t.Fatal("first sync was not interrupted")
	}
	p, err := billing.Sync(ctx, "users", runtime.SyncFromStart(), runtime.SyncOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.DeadLettered != 0 || p.Applied != n-poison-1 {
		t.Errorf("resumed sync: %+v; want %d applied and nothing dead-lettered", p, n-poison-1)
	}
	// Dead letters are confirmed before a sync goes on, so the count is final.
	if got := env.messages(t, env.ns+".billing.dlq"); got != 1 {
		t.Errorf("dead-letter queue holds %d messages, want the poison event once", got)
	}
	if len(applied) != n-1 {
		t.Errorf("%d events applied, want %d", len(applied), n-1)
	}
	for id, k := range applied {
		if k != 1 {
			t.Errorf("%s applied %d times", id, k)
		}
	}
}
