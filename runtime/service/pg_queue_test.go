package service_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store/memory"
	"github.com/evgenhq/evgen/runtime/store/postgres"
)

// postgres.Queue: in concurrent mode a handler's queued writes are held and
// sent with the batch's commit; in ordered mode they run at once. Either
// way each event's write commits once with its claim, and a queued write
// the database refuses fails only its own event, which is retried and
// dead-lettered while the rest of its batch is applied.
func TestQueuedWritesCommitWithClaims(t *testing.T) {
	for _, tc := range []struct {
		name        string
		concurrency int
		wantHeld    bool
	}{
		{"ordered", 1, false},
		{"concurrent", 16, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBroker(t)
			st, effects := pgStore(t)
			ctx := context.Background()
			if _, err := st.DB().ExecContext(ctx, fmt.Sprintf(`ALTER TABLE %q ADD CHECK (user_id <> 'poison')`, effects)); err != nil {
				t.Fatal(err)
			}
			var held, atOnce atomic.Int64
			insert := fmt.Sprintf(`INSERT INTO %q (event_id, user_id) VALUES ($1, $2)`, effects)
			count := fmt.Sprintf(`SELECT count(*) FROM %q WHERE event_id = $1`, effects)
			handler := func(ctx context.Context, e userRegistered, m runtime.Meta) error {
				if err := postgres.Queue(ctx, insert, m.ID, e.UserID); err != nil {
					return err
				}
				var n int // 0 while the write is held for the commit
				if err := service.Tx(ctx).QueryRowContext(ctx, count, m.ID).Scan(&n); err != nil {
					return err
				}
				if n == 0 {
					held.Add(1)
				} else {
					atOnce.Add(1)
				}
				return nil
			}
			billing := func() (*service.Service, *prometheus.Registry) {
				svc, reg := b.Service(t, billingContract, st, func(c *service.Config) {
					c.Concurrency = tc.concurrency
					c.Retry = service.RetryPolicy{MaxAttempts: 2, Backoff: service.Backoff{Initial: 10 * time.Millisecond}}
				})
				if err := svc.Register(runtime.On(handler)); err != nil {
					t.Fatal(err)
				}
				return svc, reg
			}
			// Declare the queue, then fill it, so that concurrent mode takes
			// full batches.
			first, _ := billing()
			r := start(t, first)
			ready(t, first)
			if err := r.Stop(); err != nil {
				t.Fatal(err)
			}
			users, _ := b.Service(t, usersContract, memory.New())
			const n = 300
			publishMany(t, users, n, 8)
			if err := runtime.Publish(ctx, users, userRegistered{UserID: "poison"}); err != nil {
				t.Fatal(err)
			}
			svc, reg := billing()
			run := start(t, svc)
			testenv.Eventually(t, 60*time.Second, "every event applied or dead-lettered", func() bool {
				return effectCount(t, st.DB(), effects, "") >= n && metric(t, reg, "evgen_events_dead_lettered_total") >= 1
			})
			b.Drain(t, []string{"billing"}, run)

			var distinct, total int
			q := fmt.Sprintf(`SELECT count(DISTINCT event_id), count(*) FROM %q`, effects)
			if err := st.DB().QueryRow(q).Scan(&distinct, &total); err != nil {
				t.Fatal(err)
			}
			if distinct != n || total != n {
				t.Errorf("%d effects of %d events, want each of the %d good events once", total, distinct, n)
			}
			if got := metric(t, reg, "evgen_events_dead_lettered_total"); got != 1 {
				t.Errorf("dead-lettered %v events, want the poison one", got)
			}
			t.Logf("writes held for the commit: %d, run at once: %d", held.Load(), atOnce.Load())
			if gotHeld := held.Load() > 0; gotHeld != tc.wantHeld {
				t.Errorf("held %d writes and ran %d at once; want held: %v", held.Load(), atOnce.Load(), tc.wantHeld)
			}
		})
	}
}
