package jetstream_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/evgenhq/evgen/internal/testenv"
	tt "github.com/evgenhq/evgen/internal/transporttest"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/store/memory"
	"github.com/evgenhq/evgen/runtime/transport/jetstream"
)

// Billing is stopped gracefully in the middle of a backlog, so that
// JetStream pushes it the next events as it stops, and started again: it
// goes on at once with the rest, well within AckWait (30 s by default),
// and applies every event once, in publish order, also with more than one
// event in flight. The subscriber must hand nothing back to
// AckWait: with one event in flight JetStream would send nothing else
// until it passed, with more it would redeliver the held ones after the
// newer ones.
func TestGracefulStopUnderLoadResumesAtOnce(t *testing.T) {
	for _, inFlight := range []int{1, 32} {
		t.Run(fmt.Sprintf("MaxAckPending=%d", inFlight), func(t *testing.T) {
			gracefulStopUnderLoad(t, jetstream.Options{MaxAckPending: inFlight})
		})
	}
}

func gracefulStopUnderLoad(t *testing.T, o jetstream.Options) {
	const events, stopAt = 300, 100
	b := newBroker(t)
	st := memory.New()
	var billing tt.Applied
	created := b.service(t, tt.BillingContract, st, o)
	tt.Register(t, created, billing.RegisteredHandler())
	tt.Run(t, created)() // creates the durable consumer, then stops
	users := b.service(t, tt.UsersContract, memory.New(), o)
	for i := range events {
		tt.Publish(t, users, tt.UserRegistered{UserID: fmt.Sprint(i)}, runtime.WithID(fmt.Sprintf("%04d", i)))
	}

	ctx, cancel := context.WithCancel(context.Background())
	first := b.service(t, tt.BillingContract, st, o)
	tt.Register(t, first, runtime.On(func(_ context.Context, _ tt.UserRegistered, m runtime.Meta) error {
		billing.Add(m.ID)
		if n, _ := billing.Counts(); n == stopAt {
			cancel() // Run finishes this event and stops, with the backlog behind it
		}
		return nil
	}))
	if err := first.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
	n, _ := billing.Counts()
	t.Logf("billing stopped after applying %d of %d events", n, events)
	if n == events {
		t.Fatalf("billing applied all %d events before it stopped: no backlog was left", events)
	}

	again := b.service(t, tt.BillingContract, st, o)
	tt.Register(t, again, billing.RegisteredHandler())
	tt.Run(t, again)
	testenv.Eventually(t, 15*time.Second, "restarted billing to apply the rest of the backlog, well within AckWait", func() bool {
		_, d := billing.Counts()
		return d == events
	})
	testenv.Eventually(t, 15*time.Second, "billing's consumer to be drained", func() bool { return b.drained(t, "users", "billing") })
	if n, d := billing.Counts(); n != events || d != events {
		t.Errorf("billing applied %d events (%d distinct), want all %d once", n, d, events)
	}
	if got := billing.Snapshot(); !slices.IsSorted(got) {
		t.Errorf("billing applied the events out of publish order: %v", got)
	}
	testenv.Eventually(t, 10*time.Second, fmt.Sprintf("billing's consumer to be at MaxAckPending %d", o.MaxAckPending), func() bool {
		info, err := b.js.ConsumerInfo(jetstream.StreamName(b.namespace+".users"), b.namespace+"_billing")
		return err == nil && info.Config.MaxAckPending == o.MaxAckPending
	})
}
