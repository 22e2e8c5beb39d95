package service_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/recovery"
	"github.com/evgenhq/evgen/runtime/store/memory"
)

// A redrive takes what the dead-letter queue held when it started, once:
// with a handler that keeps failing, every redriven event comes back to the
// dead-letter queue while the redrive runs, and must not be redriven again.
func TestRedriveEndsWithWhatWasThere(t *testing.T) {
	const n = 50
	env := newRCEnv(t)
	users, _ := env.service(t, rcUsersContract, memory.New())
	env.run(t, users)
	billing, _ := env.service(t, rcConsumerContract("billing"), memory.New())
	fail := func(context.Context, rcRegistered, runtime.Meta) error { return errors.New("still broken") }
	if err := runtime.RegisterAll(billing, runtime.On(fail),
		runtime.On(func(context.Context, rcEmailChanged, runtime.Meta) error { return nil })); err != nil {
		t.Fatal(err)
	}
	env.run(t, billing)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i := range n {
		if err := runtime.Publish(ctx, users, rcRegistered{UserID: rcUserID(i), Email: "x@example.com", Version: 1}); err != nil {
			t.Fatal(err)
		}
	}
	dlq := env.ns + ".billing.dlq"
	testenv.Eventually(t, 20*time.Second, "the events dead-lettered", func() bool { return env.messages(t, dlq) == n })
	dl, err := recovery.OpenDeadLetters(env.url, env.ns, "billing")
	if err != nil {
		t.Fatal(err)
	}
	defer dl.Close()

	got, err := dl.Redrive(ctx, recovery.DeadLetterFilter{})
	if err != nil || got != n {
		t.Fatalf("Redrive = %d, %v; want %d, what the dead-letter queue held", got, err, n)
	}
	// Each came back once more, redriven once: none twice.
	testenv.Eventually(t, 20*time.Second, "the redriven events dead-lettered again", func() bool { return env.messages(t, dlq) == n })
	letters, err := dl.List(ctx, recovery.DeadLetterFilter{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, l := range letters {
		if l.Redrives != 1 || seen[l.ID] {
			t.Errorf("dead letter %s redriven %d times (seen before: %v); want each once", l.ID, l.Redrives, seen[l.ID])
		}
		seen[l.ID] = true
	}
	if len(seen) != n {
		t.Errorf("%d distinct dead letters after the redrive, want %d", len(seen), n)
	}
}
