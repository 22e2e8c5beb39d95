package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store"
)

type userDeleted struct {
	UserID string `json:"user_id"`
}

func (userDeleted) EventType() string  { return "users.UserDeleted" }
func (userDeleted) EventVersion() int  { return 1 }
func (e userDeleted) EventKey() string { return e.UserID }
func (userDeleted) Validate() error    { return nil }

type orderPlaced struct {
	OrderID string `json:"order_id"`
}

func (orderPlaced) EventType() string { return "orders.OrderPlaced" }
func (orderPlaced) EventVersion() int { return 1 }
func (orderPlaced) Validate() error   { return nil }

var usersDeleted = runtime.EventInfo{Producer: "users", Name: "UserDeleted", Type: "users.UserDeleted", Version: 1, Key: "user_id"}

// RunBrokerSetAside is issue 10's poison-row test on the real broker at
// url: the users service, its event log disabled, relays an outbox holding
// an event outside its contract, one whose time header the marshaler
// rejects and one that no queue is bound to, between good events. The good
// ones reach billing in commit order; each poison one is set aside with its
// reason, counted in evgen_outbox_set_aside_total and logged once at
// ERROR; a retried one is relayed once a queue is bound, a dropped one is
// gone.
func RunBrokerSetAside(t *testing.T, url string, newStore NewStore) {
	ns := testenv.UniqueName("evgen_setaside")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	outbox, reg, logs := newStore(t), prometheus.NewRegistry(), &records{}
	users := newService(t, service.Config{
		Contract: runtime.Contract{Service: "users", Publishes: []runtime.EventInfo{usersRegistered, usersDeleted}},
		Store:    outbox, Transport: service.AMQP(url), Namespace: ns, Metrics: reg,
		Logger: slog.New(logs), EventLog: service.EventLogConfig{Disabled: true},
	})
	var mu sync.Mutex
	var handled []string
	billing := newService(t, service.Config{
		Contract: runtime.Contract{Service: "billing", Consumes: []runtime.EventInfo{usersRegistered}},
		Store:    newStore(t), Transport: service.AMQP(url), Namespace: ns, Logger: quiet,
	})
	err := billing.Register(runtime.On(func(_ context.Context, _ userRegistered, m runtime.Meta) error {
		mu.Lock()
		defer mu.Unlock()
		handled = append(handled, m.ID)
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	deleteTopology(t, url, users.Topology(), billing.Topology())
	stopBilling := run(t, ctx, billing.Run)
	waitReady(t, billing)

	id := func(i int) string { return fmt.Sprintf("0190a1b2-0000-7000-8000-%012d", i) }
	good := []string{id(0), id(2), id(4), id(6)}
	poison := map[string]string{id(1): "not in its contract", id(3): "marshal message", id(5): "unroutable"}
	badTime := func(m *message.Message) { m.Metadata.Set(runtime.HeaderTime, "yesterday") }
	for i, e := range []runtime.Event{userRegistered{"u0"}, orderPlaced{"o1"}, userRegistered{"u2"}, userRegistered{"u3"}, userRegistered{"u4"}, userDeleted{"u5"}, userRegistered{"u6"}} {
		var edit func(*message.Message)
		if i == 3 {
			edit = badTime
		}
		writeOutbox(t, outbox, e, id(i), edit)
	}
	stopUsers := run(t, ctx, users.Run)
	testenv.Eventually(t, waitTimeout, "the good events handled", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(handled) >= len(good)
	})
	waitBacklogEmpty(t, outbox)
	testenv.Eventually(t, waitTimeout, "the poison events set aside and counted", func() bool {
		return len(listSetAside(t, outbox)) == len(poison) && setAsideCount(t, reg) == len(poison)
	})

	rows := listSetAside(t, outbox)
	for _, r := range rows {
		if want, ok := poison[r.ID]; !ok || !containsFold(r.Reason, want) {
			t.Errorf("set aside %s (%s) for %q; want the poison events with their reasons %v", r.ID, r.Type(), r.Reason, poison)
		}
	}
	for pid := range poison {
		if n := logs.errorsFor(pid); n != 1 {
			t.Errorf("event %s logged at ERROR %d times, want once", pid, n)
		}
	}

	nextRetried := bindQueue(t, url, ns+".users", ns+".setaside-retry", runtime.RoutingKey("users.UserDeleted", 1))
	o := setAsideOf(t, outbox)
	if n, err := o.RetrySetAside(ctx, id(5)); n != 1 || err != nil {
		t.Fatalf("retry the unroutable event once a queue is bound: %d, %v", n, err)
	}
	if got := nextRetried(ctx); got != id(5) {
		t.Errorf("retried event arrived as %s, want %s", got, id(5))
	}
	waitBacklogEmpty(t, outbox)
	if n, err := o.DropSetAside(ctx, id(1), id(3)); n != 2 || err != nil {
		t.Fatalf("drop the other two: %d, %v", n, err)
	}
	stopUsers()
	stopBilling()

	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(handled, good) {
		t.Errorf("billing handled %v, want the good events once each in commit order %v", handled, good)
	}
	if got := listSetAside(t, outbox); len(got) != 0 {
		t.Errorf("set aside after retry and drop: %+v", got)
	}
}

// writeOutbox writes e with id into s's outbox in one committed
// transaction, edited by edit first when it is not nil.
func writeOutbox(t *testing.T, s store.Store, e runtime.Event, id string, edit func(*message.Message)) {
	t.Helper()
	ctx := testContext(t)
	var tx *sql.Tx
	pub := s.Publisher(nil)
	if s.DB() != nil {
		var err error
		if tx, err = s.DB().BeginTx(ctx, nil); err != nil {
			t.Fatal(err)
		}
		pub = s.Publisher(tx)
	}
	if err := runtime.Publish(ctx, editing{pub, edit}, e, runtime.WithID(id)); err != nil {
		t.Fatalf("write %s to the outbox: %v", id, err)
	}
	if tx != nil {
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
}

// editing changes messages on their way to pub.
type editing struct {
	pub  runtime.Publisher
	edit func(*message.Message)
}

func (e editing) Publish(ctx context.Context, msgs ...*message.Message) error {
	if e.edit != nil {
		for _, m := range msgs {
			e.edit(m)
		}
	}
	return e.pub.Publish(ctx, msgs...)
}

// setAsideCount sums evgen_outbox_set_aside_total over its labels.
func setAsideCount(t *testing.T, g prometheus.Gatherer) int {
	t.Helper()
	families, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, f := range families {
		if f.GetName() != "evgen_outbox_set_aside_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			total += m.GetCounter().GetValue()
		}
	}
	return int(total)
}

// bindQueue declares a queue bound to exchange by key, deleted when t
// ends, and returns a function that waits for its next message's ID.
func bindQueue(t *testing.T, url, exchange, queue, key string) (next func(context.Context) string) {
	t.Helper()
	conn, err := amqp.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ch.QueueDeclare(queue, false, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ch.QueueDelete(queue, false, false, false) })
	if err := ch.QueueBind(queue, key, exchange, false, nil); err != nil {
		t.Fatal(err)
	}
	return func(ctx context.Context) string {
		t.Helper()
		var id string
		testenv.Eventually(t, waitTimeout, "an event in "+queue, func() bool {
			d, ok, err := ch.Get(queue, true)
			if err != nil {
				t.Fatalf("get from %s: %v", queue, err)
			}
			id = d.MessageId
			return ok
		})
		return id
	}
}

// records is a slog.Handler that keeps every record, for tests of what a
// service logs.
type records struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (r *records) Enabled(context.Context, slog.Level) bool { return true }
func (r *records) WithAttrs([]slog.Attr) slog.Handler       { return r } // attrs of With are not needed here
func (r *records) WithGroup(string) slog.Handler            { return r }

func (r *records) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, rec.Clone())
	return nil
}

// errorsFor counts the ERROR records whose event_id is id.
func (r *records) errorsFor(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, rec := range r.recs {
		rec.Attrs(func(a slog.Attr) bool {
			if rec.Level == slog.LevelError && a.Key == "event_id" && a.Value.String() == id {
				n++
			}
			return true
		})
	}
	return n
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
