package service_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/store/memory"
)

// A resync request that keeps failing with an error that may pass is
// retried a few times, then dropped and counted: the requests behind it
// are answered.
func TestFailingResyncRequestDoesNotBlockLaterOnes(t *testing.T) {
	env := newRCEnv(t)
	users, usersReg := env.service(t, rcUsersContract, memory.New())
	var mu sync.Mutex
	brokenCalls := 0
	err := users.RegisterSnapshot(runtime.SnapshotOf(func(_ context.Context, keys []string, emit func(rcRegistered) error) error {
		if slices.Contains(keys, "broken") {
			mu.Lock()
			brokenCalls++
			mu.Unlock()
			return errors.New("database unavailable")
		}
		for _, id := range keys {
			if err := emit(rcRegistered{UserID: id, Email: "x@example.com", Version: 1}); err != nil {
				return err
			}
		}
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	env.run(t, users)

	billing, _ := env.service(t, rcConsumerContract("billing"), memory.New())
	var applied []string
	if err := runtime.RegisterAll(billing,
		runtime.On(func(_ context.Context, e rcRegistered, _ runtime.Meta) error {
			mu.Lock()
			applied = append(applied, e.UserID)
			mu.Unlock()
			return nil
		}),
		runtime.On(func(context.Context, rcEmailChanged, runtime.Meta) error { return nil }),
	); err != nil {
		t.Fatal(err)
	}
	env.run(t, billing)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := billing.RequestResync(ctx, "users", "broken"); err != nil {
		t.Fatal(err)
	}
	if err := billing.RequestResync(ctx, "users", rcUserID(1)); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 10*time.Second, "the request behind the failing one answered", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return slices.Contains(applied, rcUserID(1))
	})
	mu.Lock()
	defer mu.Unlock()
	// The requests are served one at a time, in order: the failing one was
	// given up before the next was answered.
	if brokenCalls != 2 {
		t.Errorf("the failing request was tried %d times, want 2 (Retry.MaxAttempts)", brokenCalls)
	}
	if got := metric(t, usersReg, "evgen_resync_requests_dropped_total"); got != 1 {
		t.Errorf("evgen_resync_requests_dropped_total = %v, want 1", got)
	}
	if len(applied) != 1 {
		t.Errorf("billing applied %v, want only %s", applied, rcUserID(1))
	}
}
