package postgres_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store/memory"
	"github.com/evgenhq/evgen/runtime/store/postgres"
)

// stateTable makes a table of the handler's own writes (no key: an event
// applied twice shows as two rows), dropped when t ends.
func stateTable(t testing.TB, db *sql.DB) string {
	t.Helper()
	name := testenv.UniqueName("postgres_state")
	if _, err := db.Exec("CREATE TABLE " + name + " (event_id TEXT NOT NULL)"); err != nil {
		t.Fatalf("create state table: %v", err)
	}
	t.Cleanup(func() {
		if _, err := db.Exec("DROP TABLE " + name); err != nil {
			t.Errorf("drop state table: %v", err)
		}
	})
	return name
}

// registered stands in for a generated event type.
type registered struct {
	UserID string `json:"user_id"`
}

func (registered) EventType() string { return "users.UserRegistered" }
func (registered) EventVersion() int { return 1 }
func (registered) Validate() error   { return nil }

var (
	registeredInfo = runtime.EventInfo{Producer: "users", Name: "UserRegistered", Type: "users.UserRegistered", Version: 1}
	usersContract  = runtime.Contract{Service: "users", Publishes: []runtime.EventInfo{registeredInfo}}
	billing        = runtime.Contract{Service: "billing", Consumes: []runtime.EventInfo{registeredInfo}}
)

// TestConcurrentConsumerAppliesEachEventOnce: 10,000 events, each
// published twice, consumed by two replicas of a service in concurrent
// mode (batches of up to 50, several transactions in flight) over the
// in-process bus, against PostgreSQL. The two copies of an event land in
// different batches, of one replica or both: a claim waits for the
// transaction holding the other copy and then finds it applied, or
// PostgreSQL breaks a deadlock between two batches and the runtime retries.
// Once every copy is acked, each event was applied exactly once and the
// other copy counted a duplicate.
func TestConcurrentConsumerAppliesEachEventOnce(t *testing.T) {
	const events = 10_000
	s := newStore(t, postgres.Options{Logger: quiet})
	state := stateTable(t, s.DB())
	bus := service.NewInProcessBus()
	reg := prometheus.NewRegistry() // the replicas add up their counts in it
	for range 2 {
		svc := newService(t, service.Config{Contract: billing, Transport: service.InProcess(bus), Store: s, Concurrency: 50, Metrics: reg, Logger: quiet})
		err := svc.Register(runtime.On(func(ctx context.Context, _ registered, m runtime.Meta) error {
			_, err := service.Tx(ctx).ExecContext(ctx, "INSERT INTO "+state+" (event_id) VALUES ($1)", m.ID)
			return err
		}))
		if err != nil {
			t.Fatal(err)
		}
		run(t, svc)
	}
	users := newService(t, service.Config{Contract: usersContract, Transport: service.InProcess(bus), Store: memory.New(), Logger: quiet})
	publishTwice(t, users, events)

	testenv.Eventually(t, 2*time.Minute, "every copy acked", func() bool { return len(bus.Waiting(service.QueueName("", "billing"))) == 0 })
	var rows, distinct int64
	if err := s.DB().QueryRow("SELECT count(*), count(DISTINCT event_id) FROM "+state).Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	consumed, dups := counter(t, reg, "evgen_events_consumed_total"), counter(t, reg, "evgen_events_duplicates_total")
	if rows != events || distinct != events || consumed != events || dups != events {
		t.Errorf("state rows %d, distinct events %d, consumed %v, duplicates %v; want %d each", rows, distinct, consumed, dups, events)
	}
}

// publishTwice publishes n events, each a second time with the same ID 25
// events later, so that the copies are in different batches.
func publishTwice(t *testing.T, users *service.Service, n int) {
	t.Helper()
	const lag = 25
	ctx := context.Background()
	id := func(i int) string { return fmt.Sprintf("0190a1b2-0000-7000-8000-%012d", i) }
	for i := range n + lag {
		if i < n {
			if err := runtime.Publish(ctx, users, registered{UserID: fmt.Sprint(i)}, runtime.WithID(id(i))); err != nil {
				t.Fatal(err)
			}
		}
		if j := i - lag; j >= 0 {
			if err := runtime.Publish(ctx, users, registered{UserID: fmt.Sprint(j)}, runtime.WithID(id(j))); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func newService(t *testing.T, cfg service.Config) *service.Service {
	t.Helper()
	svc, err := service.New(cfg)
	if err != nil {
		t.Fatalf("new service: %v", err)
	}
	t.Cleanup(func() { svc.Close() })
	return svc
}

// run runs svc until t ends, failing t if Run returned an error.
func run(t *testing.T, svc *service.Service) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	select {
	case <-svc.Ready():
	case err := <-done:
		t.Fatalf("run: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("service not ready after 10s")
	}
}

// counter sums the samples of the named counter in reg.
func counter(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, f := range families {
		if f.GetName() == name {
			for _, m := range f.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}
