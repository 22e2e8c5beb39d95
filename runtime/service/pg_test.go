package service_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	goruntime "runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store"
	"github.com/evgenhq/evgen/runtime/store/memory"
	"github.com/evgenhq/evgen/runtime/store/postgres"
)

// pgStore returns a migrated PostgreSQL store with tables of its own and an
// effects table for the handler's own writes, all dropped when t ends.
func pgStore(t *testing.T) (*postgres.Store, string) {
	t.Helper()
	db := testenv.Postgres(t)
	prefix := testenv.UniqueName("evgen_rt") + "_"
	st, err := postgres.New(db, postgres.Options{TablePrefix: prefix, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	effects := prefix + "effects"
	if _, err := db.ExecContext(ctx, fmt.Sprintf(`CREATE TABLE %q (event_id text NOT NULL, user_id text NOT NULL)`, effects)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := db.ExecContext(ctx, fmt.Sprintf(`DROP TABLE %q`, effects)); err != nil {
			t.Errorf("drop %s: %v", effects, err)
		}
		if err := st.Drop(ctx); err != nil {
			t.Errorf("drop store: %v", err)
		}
	})
	return st, effects
}

// recordEffect is the handler's own write, in the inbox transaction.
func recordEffect(effects string) func(context.Context, userRegistered, runtime.Meta) error {
	return func(ctx context.Context, e userRegistered, m runtime.Meta) error {
		tx := service.Tx(ctx)
		if tx == nil {
			return errors.New("no inbox transaction in the handler's context")
		}
		_, err := tx.ExecContext(ctx, fmt.Sprintf(`INSERT INTO %q (event_id, user_id) VALUES ($1, $2)`, effects), m.ID, e.UserID)
		return err
	}
}

func effectCount(t *testing.T, db *sql.DB, effects, where string, args ...any) int {
	t.Helper()
	var n int
	q := fmt.Sprintf(`SELECT count(*) FROM %q %s`, effects, where)
	if err := db.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Issue 4, test 3: the worker dies after the inbox commit but before the
// ack, or before the commit; after redelivery to a new instance each
// event's effect is in the handler's table exactly once.
func TestCrashAroundInboxCommitAppliesOnce(t *testing.T) {
	b := newBroker(t)
	st, effects := pgStore(t)
	users, _ := b.Service(t, usersContract, memory.New())
	tests := []struct {
		name           string
		hooks          func(crash func()) service.CrashHooks
		wantConsumed   float64 // by the second instance
		wantDuplicates float64
	}{
		{"after commit, before ack", func(crash func()) service.CrashHooks {
			return service.CrashHooks{BeforeAck: func(runtime.Meta) { crash() }}
		}, 0, 1},
		{"before commit", func(crash func()) service.CrashHooks {
			// A crashed process's database session ends, and the server
			// rolls its transaction back.
			return service.CrashHooks{BeforeCommit: func(tx store.InboxTx, _ runtime.Meta) {
				if err := tx.Rollback(); err != nil {
					t.Errorf("rollback: %v", err)
				}
				crash()
			}}
		}, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			crashed := make(chan struct{})
			first, _ := b.Service(t, billingContract, st)
			service.SetCrashHooks(first, tt.hooks(func() {
				close(crashed)
				goruntime.Goexit() // the worker goroutine dies here, as in a crash
			}))
			if err := first.Register(runtime.On(recordEffect(effects))); err != nil {
				t.Fatal(err)
			}
			r := start(t, first)
			ready(t, first)
			ev := encode(t, userRegistered{UserID: tt.name})
			if err := users.Publish(context.Background(), ev); err != nil {
				t.Fatal(err)
			}
			select {
			case <-crashed:
			case <-time.After(10 * time.Second):
				t.Fatal("the worker never reached the crash point")
			}
			if err := r.Stop(); err != nil { // closes the connection: the broker requeues
				t.Fatal(err)
			}

			second, reg := b.Service(t, billingContract, st)
			if err := second.Register(runtime.On(recordEffect(effects))); err != nil {
				t.Fatal(err)
			}
			takeOver := start(t, second)
			testenv.Eventually(t, 10*time.Second, "redelivery handled", func() bool {
				return metric(t, reg, "evgen_events_consumed_total")+metric(t, reg, "evgen_events_duplicates_total") >= 1
			})
			b.Drain(t, []string{"billing"}, takeOver)
			if got := metric(t, reg, "evgen_events_consumed_total"); got != tt.wantConsumed {
				t.Errorf("consumed after restart = %v, want %v", got, tt.wantConsumed)
			}
			if got := metric(t, reg, "evgen_events_duplicates_total"); got != tt.wantDuplicates {
				t.Errorf("duplicates after restart = %v, want %v", got, tt.wantDuplicates)
			}
			if n := effectCount(t, st.DB(), effects, "WHERE event_id = $1", ev.UUID); n != 1 {
				t.Fatalf("effect applied %d times, want 1", n)
			}
		})
	}
}

// Issue 4, test 8: concurrent mode with the PostgreSQL inbox. Two replicas
// batch deliveries into shared transactions; some handlers fail once, so
// savepoints roll back single events in a batch. Every one of 10,000
// events is applied exactly once.
func TestConcurrentPostgresInboxAppliesEachOnce(t *testing.T) {
	b := newBroker(t)
	st, effects := pgStore(t)
	const n = 10_000
	var failedOnce sync.Map
	var failures atomic.Int64
	var runs []*running
	handler := recordEffect(effects)
	for range 2 {
		svc, _ := b.Service(t, billingContract, st, func(c *service.Config) { c.Concurrency = 64 })
		err := svc.Register(runtime.On(func(ctx context.Context, e userRegistered, m runtime.Meta) error {
			if err := handler(ctx, e, m); err != nil {
				return err
			}
			// About one event in 256 fails once, after its write: its batch
			// is applied again with savepoints, which must undo that write
			// and its claim and keep the others.
			if strings.HasSuffix(m.ID, "a7") {
				if _, loaded := failedOnce.LoadOrStore(m.ID, true); !loaded {
					failures.Add(1)
					return errors.New("transient")
				}
			}
			return nil
		}))
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, start(t, svc))
		ready(t, svc)
	}
	users, _ := b.Service(t, usersContract, memory.New())
	began := time.Now()
	publishMany(t, users, n, 32)
	published := time.Since(began)
	testenv.Eventually(t, 60*time.Second, "10,000 effects", func() bool {
		return effectCount(t, st.DB(), effects, "") >= n
	})
	b.Drain(t, []string{"billing"}, runs...)
	t.Logf("published %d in %v, all applied after %v (%d handler failures rolled back)", n, published, time.Since(began), failures.Load())
	if got := effectCount(t, st.DB(), effects, ""); got != n {
		t.Fatalf("%d effects, want %d", got, n)
	}
	var distinct int
	if err := st.DB().QueryRow(fmt.Sprintf(`SELECT count(DISTINCT event_id) FROM %q`, effects)).Scan(&distinct); err != nil {
		t.Fatal(err)
	}
	if distinct != n {
		t.Fatalf("%d distinct events applied, want %d", distinct, n)
	}
}
