package service_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store/memory"
)

func quorum(c *service.Config) { c.QueueType = service.QuorumQueue }

// Issue 4, test 1: each consuming service gets every event; the replicas
// of one service share its queue and together handle each event once, each
// replica some of them.
func TestFanOutToServicesAndCompetingReplicas(t *testing.T) {
	b := newBroker(t)
	const n = 300
	billingStore := memory.New() // replicas share their database
	var billingRec, shippingRec recorder
	var runs []*running
	var replicas []*prometheus.Registry
	for range 2 {
		svc, reg := b.Service(t, billingContract, billingStore)
		if err := svc.Register(billingRec.Handler()); err != nil {
			t.Fatal(err)
		}
		runs = append(runs, start(t, svc))
		ready(t, svc)
		replicas = append(replicas, reg)
	}
	shipping, _ := b.Service(t, shippingContract, memory.New(), quorum)
	if err := runtime.RegisterAll(shipping, shippingRec.Handler(),
		runtime.On(func(context.Context, invoicePaid, runtime.Meta) error { return nil })); err != nil {
		t.Fatal(err)
	}
	runs = append(runs, start(t, shipping))
	ready(t, shipping)

	users, _ := b.Service(t, usersContract, memory.New())
	publishMany(t, users, n, 8)

	for name, rec := range map[string]*recorder{"billing": &billingRec, "shipping": &shippingRec} {
		testenv.Eventually(t, 20*time.Second, name+" handled every event", func() bool { return rec.Len() >= n })
	}
	b.Drain(t, []string{"billing", "shipping"}, runs...)
	for name, rec := range map[string]*recorder{"billing": &billingRec, "shipping": &shippingRec} {
		got, counts := rec.Snapshot()
		if len(got) != n || len(counts) != n {
			t.Errorf("%s handled %d deliveries of %d distinct events, want %d of %d", name, len(got), len(counts), n, n)
		}
	}
	for i, reg := range replicas {
		if got := metric(t, reg, "evgen_events_consumed_total"); got == 0 {
			t.Errorf("billing replica %d consumed no event: the replicas did not share the queue", i)
		}
	}
}

// Issue 4, test 2: events published while the consumer is down wait in its
// queue and are handled, all and in order, when it comes back.
func TestStoppedConsumerCatchesUpInOrder(t *testing.T) {
	b := newBroker(t)
	store := memory.New()
	first, _ := b.Service(t, billingContract, store)
	if err := first.Register(runtime.On(func(context.Context, userRegistered, runtime.Meta) error { return nil })); err != nil {
		t.Fatal(err)
	}
	r := start(t, first)
	ready(t, first)
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}

	users, _ := b.Service(t, usersContract, memory.New())
	const n = 1000
	want := make([]string, n)
	for i := range n {
		want[i] = fmt.Sprintf("user-%d", i)
		if err := runtime.Publish(context.Background(), users, userRegistered{UserID: want[i]}); err != nil {
			t.Fatal(err)
		}
	}

	var rec recorder
	second, _ := b.Service(t, billingContract, store)
	if err := second.Register(rec.Handler()); err != nil {
		t.Fatal(err)
	}
	catchUp := start(t, second)
	testenv.Eventually(t, 30*time.Second, "1000 events handled", func() bool { return rec.Len() >= n })
	b.Drain(t, []string{"billing"}, catchUp)
	got, _ := rec.Snapshot()
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("handled out of order or not all: got %d events, first difference at %d", len(got), firstDiff(got, want))
	}
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// Issue 4, test 4: a handler that always fails is retried, then its event
// goes to the dead-letter queue with the reason, and the events behind it
// are handled.
func TestFailingHandlerDeadLettersAndOthersFlow(t *testing.T) {
	b := newBroker(t)
	var rec recorder
	calls := map[string]int{}
	var mu sync.Mutex
	billing, reg := b.Service(t, billingContract, memory.New())
	err := billing.Register(runtime.On(func(_ context.Context, e userRegistered, m runtime.Meta) error {
		if e.UserID == "bad" {
			mu.Lock()
			calls[m.ID]++
			mu.Unlock()
			return errors.New("payment provider says no")
		}
		rec.Add(e.UserID, m)
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	start(t, billing)
	ready(t, billing)
	users, _ := b.Service(t, usersContract, memory.New())
	bad := encode(t, userRegistered{UserID: "bad"})
	if err := users.Publish(context.Background(), bad); err != nil {
		t.Fatal(err)
	}
	publishMany(t, users, 5, 1)

	dead := b.TakeDeadLetters(t, "billing", 1)[0]
	testenv.Eventually(t, 10*time.Second, "events behind the failing one", func() bool { return rec.Len() == 5 })
	if dead.MessageId != bad.UUID {
		t.Fatalf("dead-lettered %s, want %s", dead.MessageId, bad.UUID)
	}
	checkDeadLetterHeaders(t, dead, "payment provider says no", "3", b.NS+".users", "users.UserRegistered.v1")
	mu.Lock()
	defer mu.Unlock()
	if calls[bad.UUID] != 3 {
		t.Errorf("failing handler called %d times, want 3 (Retry.MaxAttempts)", calls[bad.UUID])
	}
	if got := metric(t, reg, "evgen_events_retried_total"); got != 2 {
		t.Errorf("retried metric = %v, want 2", got)
	}
	if got := metric(t, reg, "evgen_events_dead_lettered_total"); got != 1 {
		t.Errorf("dead-lettered metric = %v, want 1", got)
	}
}

func checkDeadLetterHeaders(t *testing.T, d amqp.Delivery, reason, attempts, exchange, key string) {
	t.Helper()
	h := d.Headers
	if s, _ := h[service.HeaderDLQError].(string); !strings.Contains(s, reason) {
		t.Errorf("%s = %q, want it to contain %q", service.HeaderDLQError, s, reason)
	}
	if h[service.HeaderDLQAttempts] != attempts {
		t.Errorf("%s = %v, want %s", service.HeaderDLQAttempts, h[service.HeaderDLQAttempts], attempts)
	}
	if h[service.HeaderDLQExchange] != exchange || h[service.HeaderDLQRoutingKey] != key {
		t.Errorf("original routing %v / %v, want %s / %s", h[service.HeaderDLQExchange], h[service.HeaderDLQRoutingKey], exchange, key)
	}
	if s, _ := h[service.HeaderDLQTime].(string); s == "" {
		t.Errorf("no %s header", service.HeaderDLQTime)
	} else if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
		t.Errorf("%s: %v", service.HeaderDLQTime, err)
	}
}

// Issue 4, test 5: a payload that is not JSON, one missing a required
// field and an event type the service does not know are dead-lettered at
// once, each with its reason.
func TestUnhandleableEventsDeadLetteredAtOnce(t *testing.T) {
	b := newBroker(t)
	var rec recorder
	billing, reg := b.Service(t, billingContract, memory.New())
	if err := billing.Register(rec.Handler()); err != nil {
		t.Fatal(err)
	}
	start(t, billing)
	ready(t, billing)

	exchange, key := b.NS+".users", "users.UserRegistered.v1"
	raw := func(id, typ, version, body string) amqp.Publishing {
		return amqp.Publishing{MessageId: id, Body: []byte(body), DeliveryMode: amqp.Persistent, Headers: amqp.Table{
			runtime.HeaderSpecVersion: runtime.SpecVersion, runtime.HeaderSource: "users",
			runtime.HeaderType: typ, runtime.HeaderEventVersion: version, "x-delivery-count": int64(1),
		}}
	}
	b.PublishRaw(t, exchange, key, raw("not-json", "users.UserRegistered", "1", "{nope"))
	b.PublishRaw(t, exchange, key, raw("missing-field", "users.UserRegistered", "1", `{"email":"a@b"}`))
	// An unknown type reaches the queue only through a binding it does not
	// match; the default exchange puts it there as a misrouted event would.
	b.PublishRaw(t, "", service.QueueName(b.NS, "billing"), raw("unknown-type", "users.UserDeleted", "1", `{}`))
	b.PublishRaw(t, exchange, key, raw("good", "users.UserRegistered", "1", `{"user_id":"u"}`))

	dead := b.TakeDeadLetters(t, "billing", 3)
	reasons := map[string]string{
		"not-json":      "decode users.UserRegistered v1",
		"missing-field": "user_id: required",
		"unknown-type":  "no handler for this event type",
	}
	for _, d := range dead {
		want, ok := reasons[d.MessageId]
		if !ok {
			t.Errorf("unexpected dead letter %s", d.MessageId)
			continue
		}
		wantAttempts, wantKey := "1", key
		if d.MessageId == "unknown-type" {
			wantAttempts, wantExchange := "0", ""
			checkDeadLetterHeaders(t, d, want, wantAttempts, wantExchange, service.QueueName(b.NS, "billing"))
			continue
		}
		checkDeadLetterHeaders(t, d, want, wantAttempts, exchange, wantKey)
	}
	testenv.Eventually(t, 10*time.Second, "the good event", func() bool { return rec.Len() == 1 })
	if got := metric(t, reg, "evgen_events_retried_total"); got != 0 {
		t.Errorf("retried %v times, want none for permanent failures", got)
	}
}

// A publish that no queue is bound to is returned by the broker: Publish
// reports ErrUnroutable instead of success, since the event is nowhere.
func TestPublishUnroutable(t *testing.T) {
	b := newBroker(t)
	users, _ := b.Service(t, usersContract, memory.New())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := runtime.Publish(ctx, users, userRegistered{UserID: "u"})
	if !errors.Is(err, service.ErrUnroutable) {
		t.Fatalf("err = %v, want ErrUnroutable", err)
	}
	// Once a consumer's queue is bound, the same publish is confirmed.
	billing, _ := b.Service(t, billingContract, memory.New())
	var rec recorder
	if err := billing.Register(rec.Handler()); err != nil {
		t.Fatal(err)
	}
	start(t, billing)
	ready(t, billing)
	if err := runtime.Publish(ctx, users, userRegistered{UserID: "u"}); err != nil {
		t.Fatalf("publish after binding: %v", err)
	}
}

// A service publishes only its contract's events.
func TestPublishRejectsForeignEvent(t *testing.T) {
	svc, _ := newService(t, service.Config{Contract: billingContract, Transport: service.AMQP("amqp://127.0.0.1:1/"), Store: memory.New()})
	err := runtime.Publish(context.Background(), svc, userRegistered{UserID: "u"})
	if err == nil || !strings.Contains(err.Error(), "does not publish users.UserRegistered.v1") {
		t.Fatalf("err = %v", err)
	}
}

// Before the broker is reachable, Run keeps trying to connect, with
// backoff, until its context ends; then it stops waiting at once and
// returns nil. Publish gives up at its deadline instead of blocking.
func TestWaitsForBrokerUntilContextEnds(t *testing.T) {
	url := "amqp://guest:guest@127.0.0.1:1/" // nothing listens on port 1
	attempts := make(chan connectAttempt, 64)
	billing, _ := newService(t, service.Config{
		Contract: billingContract, Transport: service.AMQP(url), Store: memory.New(),
		Logger: slog.New(attemptLog(attempts)),
		// Waits of 10ms, 100ms, 1s, 10s: the fourth attempt leaves Run in
		// a long wait, which the end of its context must cut short.
		Connect: service.Backoff{Initial: 10 * time.Millisecond, Max: 10 * time.Second, Multiplier: 10},
	})
	if err := billing.Register(runtime.On(func(context.Context, userRegistered, runtime.Meta) error { return nil })); err != nil {
		t.Fatal(err)
	}
	pctx, pcancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer pcancel()
	err := runtime.Publish(pctx, billing, invoicePaid{InvoiceID: "i"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Publish = %v, want the context's deadline", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- billing.Run(ctx) }()
	last := awaitConnectAttempt(t, attempts, done, 4)
	cancel()
	ended := time.Now()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v, want nil after its context ended", err)
		}
		if took := time.Since(ended); took > last.retryIn/2 {
			t.Fatalf("Run returned %v after its context ended, during a retry wait of %v: it must stop waiting at once", took, last.retryIn)
		}
	case <-time.After(last.retryIn):
		t.Fatalf("Run still waiting %v after its context ended: it finished its retry wait instead of stopping", last.retryIn)
	}
}

// connectAttempt is one failed connection attempt of a consumer, as logged.
type connectAttempt struct {
	attempt int64
	retryIn time.Duration
}

// awaitConnectAttempt waits for the consumer's n-th failed connection
// attempt; Run returning first fails t.
func awaitConnectAttempt(t *testing.T, attempts <-chan connectAttempt, done <-chan error, n int64) connectAttempt {
	t.Helper()
	var last connectAttempt
	deadline := time.After(20 * time.Second)
	for last.attempt < n {
		select {
		case last = <-attempts:
		case err := <-done:
			t.Fatalf("Run returned %v after %d connection attempts, before its context ended", err, last.attempt)
		case <-deadline:
			t.Fatalf("%d connection attempts in 20s, want %d", last.attempt, n)
		}
	}
	return last
}

// attemptLog is a slog handler that passes on the consumer's "connect to
// RabbitMQ failed" records: the test sees Run keep trying.
type attemptLog chan<- connectAttempt

func (attemptLog) Enabled(context.Context, slog.Level) bool { return true }
func (h attemptLog) WithAttrs([]slog.Attr) slog.Handler     { return h }
func (h attemptLog) WithGroup(string) slog.Handler          { return h }

func (h attemptLog) Handle(_ context.Context, r slog.Record) error {
	if !strings.HasPrefix(r.Message, "connect to RabbitMQ failed") {
		return nil
	}
	var a connectAttempt
	consumer := false
	r.Attrs(func(at slog.Attr) bool {
		switch at.Key {
		case "role":
			consumer = at.Value.String() == "consumer"
		case "attempt":
			a.attempt = at.Value.Int64()
		case "retry_in":
			a.retryIn = at.Value.Duration()
		}
		return true
	})
	if consumer {
		select {
		case h <- a:
		default: // the test stopped listening
		}
	}
	return nil
}
