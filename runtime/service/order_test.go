package service_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store"
	"github.com/evgenhq/evgen/runtime/store/memory"
	"github.com/evgenhq/evgen/runtime/store/sqlite"
)

// userChanged stands in for a generated event whose contract orders a
// user's events by version (order_by: {user_id: version}).
type userChanged struct {
	UserID  string `json:"user_id"`
	Version int64  `json:"version"`
}

func (userChanged) EventType() string  { return "users.UserChanged" }
func (userChanged) EventVersion() int  { return 1 }
func (e userChanged) EventKey() string { return e.UserID }
func (e userChanged) Validate() error {
	if e.UserID == "" || e.Version < 1 {
		return errors.New("user_id and version >= 1: required")
	}
	return nil
}

var (
	userChangedInfo = runtime.EventInfo{Producer: "users", Name: "UserChanged", Type: "users.UserChanged", Version: 1, Key: "user_id", OrderBy: "version"}
	usersOrdered    = runtime.Contract{Service: "users", Publishes: []runtime.EventInfo{userChangedInfo}}
	billingOrdered  = runtime.Contract{Service: "billing", Consumes: []runtime.EventInfo{userChangedInfo}}
)

// applied records the (user, version) pairs a handler ran for, in order.
type applied struct {
	mu   sync.Mutex
	seen []userChanged
}

func (a *applied) handler() runtime.EventHandler {
	return runtime.On(func(_ context.Context, e userChanged, _ runtime.Meta) error {
		a.mu.Lock()
		defer a.mu.Unlock()
		a.seen = append(a.seen, e)
		return nil
	})
}

func (a *applied) list() []userChanged {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.seen)
}

// orderedStore is a SQLite store in the test's directory: a real SQL
// inbox, whose Prune the tests call.
func orderedStore(t *testing.T) *sqlite.Store {
	t.Helper()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "billing.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st, err := sqlite.New(db, sqlite.Options{Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

// orderModes are the consuming modes a stale event must be dropped in:
// ordered (one replica's deliveries in queue order, several per
// transaction behind savepoints) and concurrent (batches claimed in one
// statement, in several transactions at once).
var orderModes = []struct {
	name        string
	concurrency int
}{{"ordered", 1}, {"concurrent", 8}}

// settled is how many deliveries billing counted as consumed, duplicate
// or stale.
func settled(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	return metric(t, reg, "evgen_events_consumed_total") + metric(t, reg, "evgen_events_duplicates_total") + metric(t, reg, "evgen_events_stale_total")
}

// On the real broker, one event at a time: an event older than, or as old
// as, one of its user applied before is acked without running its
// handler, under a new ID or under its own ID once its inbox row was
// pruned (a replay from the event log after the retention); an event of
// another user, or a newer one, is applied. Nothing is dead-lettered.
func TestStaleEventsDroppedBeforeTheHandler(t *testing.T) {
	for _, mode := range orderModes {
		t.Run(mode.name, func(t *testing.T) {
			b := newBroker(t)
			producer, _ := b.Service(t, usersOrdered, memory.New())
			st := orderedStore(t)
			billing, reg := b.Service(t, billingOrdered, st, func(c *service.Config) { c.Concurrency = mode.concurrency })
			var got applied
			if err := billing.Register(got.handler()); err != nil {
				t.Fatal(err)
			}
			run := start(t, billing)
			ready(t, billing)
			firstID := uuid.Must(uuid.NewV7()).String()
			steps := []struct {
				what string
				e    userChanged
				id   string
				// pruneFirst empties the inbox before the step, as its
				// retention would.
				pruneFirst bool
			}{
				{"a at version 2", userChanged{"a", 2}, firstID, false},
				{"b at version 1, another key", userChanged{"b", 1}, "", false},
				{"a at version 1, older, under a new ID", userChanged{"a", 1}, "", false},
				{"a at version 2 again, under a new ID", userChanged{"a", 2}, "", false},
				{"the first event again, its inbox row pruned", userChanged{"a", 2}, firstID, true},
				{"a at version 3", userChanged{"a", 3}, "", false},
			}
			ctx := context.Background()
			for i, step := range steps {
				if step.pruneFirst {
					if _, err := st.Prune(ctx, 0); err != nil {
						t.Fatal(err)
					}
				}
				var opts []runtime.PublishOption
				if step.id != "" {
					opts = append(opts, runtime.WithID(step.id))
				}
				if err := runtime.Publish(ctx, producer, step.e, opts...); err != nil {
					t.Fatalf("publish %s: %v", step.what, err)
				}
				testenv.Eventually(t, 20*time.Second, "billing to settle "+step.what, func() bool { return settled(t, reg) == float64(i+1) })
			}
			b.Drain(t, []string{"billing"}, run)
			want := []userChanged{{"a", 2}, {"b", 1}, {"a", 3}}
			if h := got.list(); !slices.Equal(h, want) {
				t.Errorf("handlers ran for %v, want %v", h, want)
			}
			for name, want := range map[string]float64{
				"evgen_events_consumed_total":      3,
				"evgen_events_stale_total":         3,
				"evgen_events_duplicates_total":    0,
				"evgen_events_dead_lettered_total": 0,
			} {
				if n := metric(t, reg, name); n != want {
					t.Errorf("%s = %v, want %v", name, n, want)
				}
			}
		})
	}
}

// Events waiting in the queue when billing starts are taken in batches:
// within one transaction, and across the concurrent mode's transactions
// committing in any order, each user's handler runs for ever greater
// versions only, the greatest among them, and a copy of an event (same
// ID) is a duplicate. In ordered mode the handlers run in queue order,
// exactly for the events newer than every one before them.
func TestStaleEventsDroppedInBatches(t *testing.T) {
	stores := []struct {
		name string
		new  func(t *testing.T) store.Store
	}{
		{"sqlite", func(t *testing.T) store.Store { return orderedStore(t) }},
		{"postgres", func(t *testing.T) store.Store { st, _ := pgStore(t); return st }},
	}
	for _, sm := range stores {
		for _, mode := range orderModes {
			t.Run(sm.name+"/"+mode.name, func(t *testing.T) { testStaleInBatches(t, sm.new(t), mode.concurrency) })
		}
	}
}

func testStaleInBatches(t *testing.T, st store.Store, concurrency int) {
	b := newBroker(t)
	producer, _ := b.Service(t, usersOrdered, memory.New())
	mods := func(c *service.Config) { c.Concurrency = concurrency }
	declare, _ := b.Service(t, billingOrdered, st, mods)
	if err := declare.Register((&applied{}).handler()); err != nil {
		t.Fatal(err)
	}
	first := start(t, declare)
	ready(t, declare) // billing's queue exists and keeps what follows
	if err := first.Stop(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var events []userChanged
	for _, v := range []int64{2, 1, 3, 3, 2, 5, 4} {
		events = append(events, userChanged{"a", v}, userChanged{"b", 6 - v})
	}
	dupID := uuid.Must(uuid.NewV7()).String()
	for _, e := range events {
		if err := runtime.Publish(ctx, producer, e); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		if err := runtime.Publish(ctx, producer, userChanged{"c", 1}, runtime.WithID(dupID)); err != nil {
			t.Fatal(err)
		}
	}
	billing, reg := b.Service(t, billingOrdered, st, mods)
	var got applied
	if err := billing.Register(got.handler()); err != nil {
		t.Fatal(err)
	}
	run := start(t, billing)
	total := float64(len(events) + 2)
	testenv.Eventually(t, 20*time.Second, fmt.Sprintf("billing to settle %v events", total), func() bool { return settled(t, reg) == total })
	b.Drain(t, []string{"billing"}, run)
	h := got.list()
	checkIncreasing(t, h, map[string]int64{"a": 5, "b": 5, "c": 1})
	if concurrency == 1 {
		want := []userChanged{{"a", 2}, {"b", 4}, {"b", 5}, {"a", 3}, {"a", 5}, {"c", 1}}
		if !slices.Equal(h, want) {
			t.Errorf("handlers ran for %v, want %v", h, want)
		}
	}
	if n := metric(t, reg, "evgen_events_duplicates_total"); n != 1 {
		t.Errorf("%v duplicates, want 1 (the second copy of c's event)", n)
	}
	if n := metric(t, reg, "evgen_events_stale_total") + metric(t, reg, "evgen_events_consumed_total"); n != total-1 {
		t.Errorf("%v events consumed or stale, want %v", n, total-1)
	}
	if n := metric(t, reg, "evgen_events_dead_lettered_total"); n != 0 {
		t.Errorf("%v events dead-lettered, want none", n)
	}
}

// checkIncreasing fails t unless the handlers ran, for each user, for
// strictly increasing versions ending at last[user].
func checkIncreasing(t *testing.T, handled []userChanged, last map[string]int64) {
	t.Helper()
	held := map[string]int64{}
	for _, e := range handled {
		if e.Version <= held[e.UserID] {
			t.Errorf("handler ran for %s at version %d after version %d (all: %v)", e.UserID, e.Version, held[e.UserID], handled)
		}
		held[e.UserID] = e.Version
	}
	for user, v := range last {
		if held[user] != v {
			t.Errorf("%s ends at version %d, want %d (all: %v)", user, held[user], v, handled)
		}
	}
}

// A store whose inbox transaction cannot record order values fails an
// ordered event with a reason that says so, instead of running its
// handler unguarded.
func TestStaleCheckNeedsOrderTx(t *testing.T) {
	bus := service.NewInProcessBus()
	st := noOrderStore{memory.New()}
	producer, _ := newService(t, service.Config{Contract: usersOrdered, Transport: service.InProcess(bus), Store: memory.New()})
	billing, reg := newService(t, service.Config{Contract: billingOrdered, Transport: service.InProcess(bus), Store: st})
	var got applied
	if err := billing.Register(got.handler()); err != nil {
		t.Fatal(err)
	}
	start(t, producer)
	start(t, billing)
	ready(t, billing)
	if err := runtime.Publish(context.Background(), producer, userChanged{"a", 1}); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 20*time.Second, "the event to be dead-lettered", func() bool {
		return metric(t, reg, "evgen_events_dead_lettered_total") == 1
	})
	if h := got.list(); len(h) != 0 {
		t.Errorf("handler ran for %v without the stale check", h)
	}
}

// noOrderStore hides the memory store's OrderTx, as a store written
// before order values would.
type noOrderStore struct{ store.Store }

func (s noOrderStore) Begin(ctx context.Context) (store.InboxTx, error) {
	tx, err := s.Store.Begin(ctx)
	return plainTx{tx}, err
}

type plainTx struct{ store.InboxTx }

// A sync replays the producer's event log through the inbox: events older
// than what the live queue delivered since are dropped as stale (and
// counted with the duplicates), so a replay never rolls an entity back.
func TestSyncDropsStaleEvents(t *testing.T) {
	env := newRCEnv(t)
	users, _ := env.service(t, usersOrdered, memory.New())
	env.run(t, users) // declares the exchange and the event log
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Published before billing's queue exists: only the log has them.
	for _, e := range []userChanged{{"a", 1}, {"a", 2}} {
		if err := runtime.Publish(ctx, users, e); err != nil {
			t.Fatal(err)
		}
	}
	billing, reg := env.service(t, billingOrdered, orderedStore(t))
	var got applied
	if err := billing.Register(got.handler()); err != nil {
		t.Fatal(err)
	}
	env.run(t, billing)
	ready(t, billing)
	if err := runtime.Publish(ctx, users, userChanged{"a", 3}); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 20*time.Second, "billing to apply version 3 live", func() bool { return len(got.list()) == 1 })
	p, err := billing.Sync(ctx, "users", runtime.SyncFromStart(), runtime.SyncOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Applied != 0 || p.Duplicates != 3 {
		t.Errorf("sync progress = %+v, want 0 applied and 3 duplicates (versions 1 and 2 stale, 3 applied before)", p)
	}
	if h := got.list(); !slices.Equal(h, []userChanged{{"a", 3}}) {
		t.Errorf("handlers ran for %v, want only version 3", h)
	}
	if n := metric(t, reg, "evgen_events_stale_total"); n != 2 {
		t.Errorf("evgen_events_stale_total = %v, want 2", n)
	}
}
