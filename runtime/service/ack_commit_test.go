package service_test

import (
	"context"
	"fmt"
	goruntime "runtime"
	"testing"
	"time"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store/memory"
)

// TestConcurrentModeAcksNothingBeforeItsCommit: in concurrent mode the
// batches of one channel commit in any order, and their acks go out as
// multiple-acks. One that covered a delivery of a batch not yet committed
// would lose that event if the process died then. Here the batch holding
// user-0 (one of the first events queued) stays in flight while the other
// batches, behind it in the queue, commit and are acked; then the process
// dies with that batch rolled back. A second replica must get its events
// redelivered: every event applied exactly once.
func TestConcurrentModeAcksNothingBeforeItsCommit(t *testing.T) {
	const n = 400
	b := newBroker(t)
	st, effects := pgStore(t)
	users, _ := b.Service(t, usersContract, memory.New())
	concurrent := func(c *service.Config) { c.Concurrency = 16 }

	first, reg := b.Service(t, billingContract, st, concurrent)
	release, crashed := make(chan struct{}), make(chan struct{})
	apply := recordEffect(effects)
	err := first.Register(runtime.On(func(ctx context.Context, e userRegistered, m runtime.Meta) error {
		if e.UserID != "user-0" {
			return apply(ctx, e, m)
		}
		<-release
		// A crashed process's database session ends, and the server rolls
		// its transaction back.
		if err := service.Tx(ctx).Rollback(); err != nil {
			t.Errorf("rollback: %v", err)
		}
		close(crashed)
		goruntime.Goexit()
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	r := start(t, first)
	ready(t, first)
	publishMany(t, users, n, 1) // in order: user-0 first
	testenv.Eventually(t, 30*time.Second, "every batch but user-0's applied", func() bool {
		return b.Messages(t, "billing") == 0 && metric(t, reg, "evgen_events_consumed_total") >= n-16
	})
	close(release)
	select {
	case <-crashed:
	case <-time.After(10 * time.Second):
		t.Fatal("the handler of user-0 never crashed")
	}
	if err := r.Stop(); err != nil { // closes the connection: the broker requeues what is unacked
		t.Fatal(err)
	}

	second, _ := b.Service(t, billingContract, st, concurrent)
	if err := second.Register(runtime.On(apply)); err != nil {
		t.Fatal(err)
	}
	takeOver := start(t, second)
	ready(t, second)
	testenv.Eventually(t, 15*time.Second, "user-0's batch redelivered and applied", func() bool {
		return effectCount(t, st.DB(), effects, "") >= n
	})
	b.Drain(t, []string{"billing"}, takeOver)
	var rows, distinct int
	q := fmt.Sprintf(`SELECT count(*), count(DISTINCT event_id) FROM %q`, effects)
	if err := st.DB().QueryRow(q).Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	if rows != n || distinct != n {
		t.Errorf("%d effects of %d distinct events, want %d of %d: an event acked before its batch committed was lost", rows, distinct, n, n)
	}
}
