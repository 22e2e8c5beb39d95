package service_test

import (
	"context"
	"errors"
	"fmt"
	goruntime "runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/recovery"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store/memory"
)

// spans is an in-memory tracer provider for one test.
type spans struct {
	rec *tracetest.SpanRecorder
	tp  *sdktrace.TracerProvider
}

func newSpans(t *testing.T) *spans {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { tp.Shutdown(context.Background()) })
	return &spans{rec: rec, tp: tp}
}

// traced sets the service's tracer provider.
func (s *spans) traced(c *service.Config) { c.TracerProvider = s.tp }

// named returns the ended spans called name whose attribute key is value
// (any, when key is "").
func (s *spans) named(name string, key attribute.Key, value string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, sp := range s.rec.Ended() {
		if sp.Name() == name && (key == "" || attr(sp, key) == value) {
			out = append(out, sp)
		}
	}
	return out
}

// await waits for n ended spans called name with key = value.
func (s *spans) await(t *testing.T, n int, name string, key attribute.Key, value string) []sdktrace.ReadOnlySpan {
	t.Helper()
	var got []sdktrace.ReadOnlySpan
	defer func() {
		if t.Failed() {
			for _, sp := range s.rec.Ended() {
				t.Logf("span %q %v", sp.Name(), sp.Attributes())
			}
		}
	}()
	testenv.Eventually(t, 20*time.Second, name+" spans", func() bool {
		got = s.named(name, key, value)
		return len(got) >= n
	})
	return got
}

func attr(sp sdktrace.ReadOnlySpan, key attribute.Key) string {
	for _, kv := range sp.Attributes() {
		if kv.Key == key {
			return kv.Value.Emit()
		}
	}
	return ""
}

// wantChild fails t unless child is a span of parent's trace whose parent
// is parent.
func wantChild(t *testing.T, child sdktrace.ReadOnlySpan, parent trace.SpanContext) {
	t.Helper()
	if child.SpanContext().TraceID() != parent.TraceID() || child.Parent().SpanID() != parent.SpanID() {
		t.Errorf("%s: trace %s parent %s, want the child of %s in trace %s", child.Name(),
			child.SpanContext().TraceID(), child.Parent().SpanID(), parent.SpanID(), parent.TraceID())
	}
}

// wantAttrs fails t unless sp has each attribute of want.
func wantAttrs(t *testing.T, sp sdktrace.ReadOnlySpan, want map[attribute.Key]string) {
	t.Helper()
	for k, v := range want {
		if got := attr(sp, k); got != v {
			t.Errorf("%s: %s = %q, want %q", sp.Name(), k, got, v)
		}
	}
}

// An event published in a traced request is processed in billing as the
// publish span's child; what billing's handler publishes through its
// outbox is relayed as the child of billing's process span, and processed
// in shipping as the relay span's child: one trace, through an outbox and
// two inboxes, with the messaging attributes of the conventions.
func TestTraceFollowsEventsThroughOutboxAndInboxes(t *testing.T) {
	b := newBroker(t)
	sp := newSpans(t)
	users, _ := b.Service(t, usersContract, memory.New(), sp.traced)
	billing, _ := b.Service(t, billingContract, memory.New(), sp.traced)
	if err := billing.Register(runtime.On(func(ctx context.Context, e userRegistered, _ runtime.Meta) error {
		return runtime.Publish(ctx, service.TxPublisher(ctx), invoicePaid{InvoiceID: "inv-" + e.UserID})
	})); err != nil {
		t.Fatal(err)
	}
	shipping, _ := b.Service(t, shippingContract, memory.New(), sp.traced)
	var got recorder
	for _, h := range []runtime.EventHandler{got.Handler(), runtime.On(func(_ context.Context, e invoicePaid, m runtime.Meta) error {
		got.Add(e.InvoiceID, m)
		return nil
	})} {
		if err := shipping.Register(h); err != nil {
			t.Fatal(err)
		}
	}
	for _, svc := range []*service.Service{billing, shipping, users} {
		start(t, svc)
		ready(t, svc)
	}

	ctx, request := sp.tp.Tracer("test").Start(context.Background(), "POST /users")
	msg := encode(t, userRegistered{UserID: "u1"})
	runtime.InjectTrace(ctx, msg.Metadata) // what runtime.Publish does in ctx
	if err := users.Publish(ctx, msg); err != nil {
		t.Fatal(err)
	}
	request.End()
	testenv.Eventually(t, 20*time.Second, "both events in shipping", func() bool { return got.Len() == 2 })

	publish := sp.await(t, 1, "publish "+b.NS+".users", "", "")[0]
	wantChild(t, publish, request.SpanContext())
	wantAttrs(t, publish, map[attribute.Key]string{
		"messaging.system": "rabbitmq", "messaging.operation.type": "send", "messaging.operation.name": "publish",
		"messaging.destination.name": b.NS + ".users", "messaging.rabbitmq.destination.routing_key": "users.UserRegistered.v1",
		"messaging.message.id": msg.UUID,
	})
	inBilling := sp.await(t, 1, "process "+b.NS+".users", "messaging.consumer.group.name", "billing")[0]
	wantChild(t, inBilling, publish.SpanContext())
	wantAttrs(t, inBilling, map[attribute.Key]string{
		"messaging.system": "rabbitmq", "messaging.operation.type": "process", "messaging.destination.name": b.NS + ".users",
		"messaging.rabbitmq.destination.routing_key": "users.UserRegistered.v1", "messaging.message.id": msg.UUID,
		"evgen.attempt": "1",
	})
	if inBilling.SpanKind() != trace.SpanKindConsumer || publish.SpanKind() != trace.SpanKindProducer {
		t.Errorf("kinds: publish %v, process %v", publish.SpanKind(), inBilling.SpanKind())
	}
	relay := sp.await(t, 1, "relay "+b.NS+".billing", "", "")[0]
	wantChild(t, relay, inBilling.SpanContext())
	wantAttrs(t, relay, map[attribute.Key]string{"messaging.operation.type": "send", "messaging.rabbitmq.destination.routing_key": "billing.InvoicePaid.v2"})
	wantChild(t, sp.await(t, 1, "process "+b.NS+".billing", "messaging.consumer.group.name", "shipping")[0], relay.SpanContext())
	wantChild(t, sp.await(t, 1, "process "+b.NS+".users", "messaging.consumer.group.name", "shipping")[0], publish.SpanContext())
	ack := sp.await(t, 1, "ack "+service.QueueName(b.NS, "billing"), "messaging.message.id", msg.UUID)[0]
	wantChild(t, ack, inBilling.SpanContext())
	wantAttrs(t, ack, map[attribute.Key]string{"messaging.operation.type": "settle"})
}

// A delivery the broker redelivers after a crash between the inbox commit
// and the ack keeps its trace context: the second process span is in the
// first one's trace, under the same publish span, marked as a duplicate.
func TestTraceMarksRedeliveredDuplicate(t *testing.T) {
	b := newBroker(t)
	sp := newSpans(t)
	st := memory.New() // the replicas share their inbox
	users, _ := b.Service(t, usersContract, memory.New(), sp.traced)
	first, _ := b.Service(t, billingContract, st, sp.traced)
	crashed := make(chan struct{})
	service.SetCrashHooks(first, service.CrashHooks{BeforeAck: func(runtime.Meta) {
		close(crashed)
		goruntime.Goexit() // the worker dies between commit and ack
	}})
	var handled recorder
	if err := first.Register(handled.Handler()); err != nil {
		t.Fatal(err)
	}
	r := start(t, first)
	ready(t, first)
	ctx, request := sp.tp.Tracer("test").Start(context.Background(), "request")
	if err := runtime.Publish(ctx, users, userRegistered{UserID: "u1"}); err != nil {
		t.Fatal(err)
	}
	request.End()
	select {
	case <-crashed:
	case <-time.After(10 * time.Second):
		t.Fatal("the worker never reached the crash point")
	}
	if err := r.Stop(); err != nil { // closes the channel: the broker redelivers
		t.Fatal(err)
	}
	second, _ := b.Service(t, billingContract, st, sp.traced)
	if err := second.Register(handled.Handler()); err != nil {
		t.Fatal(err)
	}
	takeOver := start(t, second)
	processed := sp.await(t, 2, "process "+b.NS+".users", "", "")
	b.Drain(t, []string{"billing"}, takeOver)
	processed = sp.named("process "+b.NS+".users", "", "")
	if len(processed) != 2 || handled.Len() != 1 {
		t.Fatalf("%d process spans, handler ran %d times; want 2 and 1", len(processed), handled.Len())
	}
	publish := sp.named("publish "+b.NS+".users", "", "")[0]
	for i, p := range processed {
		wantChild(t, p, publish.SpanContext())
		if want := []string{"", "true"}[i]; attr(p, "evgen.inbox.duplicate") != want {
			t.Errorf("process span %d: evgen.inbox.duplicate = %q, want %q", i+1, attr(p, "evgen.inbox.duplicate"), want)
		}
	}
	if ev := processed[1].Events(); len(ev) != 1 || ev[0].Name != "inbox duplicate: applied before, skipped" {
		t.Errorf("duplicate's span events = %v", ev)
	}
}

// Retries, dead-lettering and a redrive keep the event's trace: each
// attempt is a process span under the publish span, the failed ones in
// error, then a dead_letter span in error, and the redriven delivery is
// processed in the same trace.
func TestTraceKeptThroughRetriesDeadLetterAndRedrive(t *testing.T) {
	b := newBroker(t)
	sp := newSpans(t)
	users, _ := b.Service(t, usersContract, memory.New(), sp.traced)
	billing, _ := b.Service(t, billingContract, memory.New(), sp.traced)
	var broken atomic.Bool
	broken.Store(true)
	if err := billing.Register(runtime.On(func(context.Context, userRegistered, runtime.Meta) error {
		if broken.Load() {
			return errors.New("bug 42")
		}
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	start(t, billing)
	ready(t, billing)
	ctx, request := sp.tp.Tracer("test").Start(context.Background(), "request")
	if err := runtime.Publish(ctx, users, userRegistered{UserID: "u1"}); err != nil {
		t.Fatal(err)
	}
	request.End()
	dl := sp.await(t, 1, "dead_letter "+b.NS+".billing.dlq", "", "")[0]
	publish := sp.named("publish "+b.NS+".users", "", "")[0]
	wantChild(t, dl, publish.SpanContext())
	if dl.Status().Code != codes.Error || attr(dl, "evgen.dead_letter.attempts") != "3" {
		t.Errorf("dead_letter span: status %v, attempts %q; want an error after 3", dl.Status(), attr(dl, "evgen.dead_letter.attempts"))
	}
	attempts := sp.named("process "+b.NS+".users", "", "")
	if len(attempts) != fastRetry.MaxAttempts {
		t.Fatalf("%d process spans, want one per attempt (%d)", len(attempts), fastRetry.MaxAttempts)
	}
	for i, a := range attempts {
		wantChild(t, a, publish.SpanContext())
		if a.Status().Code != codes.Error || attr(a, "evgen.attempt") != []string{"1", "2", "3"}[i] {
			t.Errorf("attempt %d: status %v, evgen.attempt %q", i+1, a.Status(), attr(a, "evgen.attempt"))
		}
	}

	broken.Store(false)
	letters, err := recovery.OpenDeadLetters(b.URL, b.NS, "billing")
	if err != nil {
		t.Fatal(err)
	}
	defer letters.Close()
	if n, err := letters.Redrive(context.Background(), recovery.DeadLetterFilter{}); err != nil || n != 1 {
		t.Fatalf("Redrive = %d, %v; want 1", n, err)
	}
	// Redriven to the queue itself, through the default exchange.
	redriven := sp.await(t, 1, "process "+service.QueueName(b.NS, "billing"), "messaging.destination.name", "")[0]
	wantChild(t, redriven, publish.SpanContext())
	if redriven.Status().Code == codes.Error {
		t.Errorf("redriven delivery failed: %v", redriven.Status())
	}
}

// With no tracer provider set and no span in the publisher's context, an
// event carries no trace headers and a handler's context no span context.
func TestNoTraceContextWhenTracingIsOff(t *testing.T) {
	b := newBroker(t)
	users, _ := b.Service(t, usersContract, memory.New())
	billing, _ := b.Service(t, billingContract, memory.New())
	valid := make(chan bool, 1)
	if err := billing.Register(runtime.On(func(ctx context.Context, _ userRegistered, _ runtime.Meta) error {
		valid <- trace.SpanContextFromContext(ctx).IsValid()
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	start(t, billing)
	ready(t, billing)
	b.BindSink(t, "users", "users.UserRegistered.v1")
	if err := runtime.Publish(context.Background(), users, userRegistered{UserID: "u1"}); err != nil {
		t.Fatal(err)
	}
	select {
	case v := <-valid:
		if v {
			t.Error("the handler's context has a span context with tracing off")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the event was not handled")
	}
	ch := b.Channel(t)
	var headers map[string]any
	testenv.Eventually(t, 10*time.Second, "the event in the sink queue", func() bool {
		d, ok, err := ch.Get(b.NS+".sink", true)
		if err != nil {
			t.Fatal(err)
		}
		headers = d.Headers
		return ok
	})
	if headers[runtime.HeaderID] == nil {
		t.Fatalf("sink got %v, not the event", headers)
	}
	for _, h := range []string{runtime.HeaderTraceParent, runtime.HeaderTraceState} {
		if v, ok := headers[h]; ok {
			t.Errorf("header %s = %v with tracing off", h, v)
		}
	}
}

// Every process span is settled by exactly one ack span: its child when
// the commit applied one event, a link of the batch's ack span when it
// applied several (the conventions' links for batches). The in-process
// transport, which has no multiple-ack, takes the same path.
func TestTraceSettlesEachEventOnce(t *testing.T) {
	sp := newSpans(t)
	bus := service.NewInProcessBus()
	users, _ := newService(t, service.Config{Contract: usersContract, Transport: service.InProcess(bus), Store: memory.New(), TracerProvider: sp.tp})
	billing, _ := newService(t, service.Config{Contract: billingContract, Transport: service.InProcess(bus), Store: memory.New(), TracerProvider: sp.tp})
	var got recorder
	if err := billing.Register(got.Handler()); err != nil {
		t.Fatal(err)
	}
	start(t, billing)
	ready(t, billing)
	const n = 20
	for i := range n {
		if err := runtime.Publish(context.Background(), users, userRegistered{UserID: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	processed := sp.await(t, n, "process evgen.users", "", "")
	settled := map[trace.SpanID]int{}
	testenv.Eventually(t, 10*time.Second, "every event settled", func() bool {
		clear(settled)
		for _, ack := range sp.named("ack "+service.QueueName("", "billing"), "", "") {
			if links := ack.Links(); len(links) > 0 {
				for _, l := range links {
					settled[l.SpanContext.SpanID()]++
				}
			} else {
				settled[ack.Parent().SpanID()]++
			}
		}
		return len(settled) >= n
	})
	for _, p := range processed {
		if c := settled[p.SpanContext().SpanID()]; c != 1 {
			t.Errorf("process span of %s settled %d times, want once", attr(p, "messaging.message.id"), c)
		}
	}
}

// A stale event's process span says so (evgen.inbox.stale and its span
// event), and its handler did not run; the newer event's span does not.
func TestTraceMarksStaleEvent(t *testing.T) {
	b := newBroker(t)
	sp := newSpans(t)
	producer, _ := b.Service(t, usersOrdered, memory.New())
	billing, reg := b.Service(t, billingOrdered, orderedStore(t), sp.traced)
	var got applied
	if err := billing.Register(got.handler()); err != nil {
		t.Fatal(err)
	}
	run := start(t, billing)
	ready(t, billing)
	ctx, request := sp.tp.Tracer("test").Start(context.Background(), "request")
	for i, e := range []userChanged{{"a", 2}, {"a", 1}} {
		if err := runtime.Publish(ctx, producer, e, runtime.WithID(fmt.Sprintf("stale-%d", i))); err != nil {
			t.Fatal(err)
		}
		testenv.Eventually(t, 20*time.Second, "billing to settle the event", func() bool { return settled(t, reg) == float64(i+1) })
	}
	request.End()
	b.Drain(t, []string{"billing"}, run)
	processed := sp.await(t, 2, "process "+b.NS+".users", "", "")
	if len(processed) != 2 {
		t.Fatalf("%d process spans, want 2", len(processed))
	}
	for _, p := range processed {
		id := attr(p, "messaging.message.id")
		want := map[string]string{"stale-0": "", "stale-1": "true"}[id]
		if attr(p, "evgen.inbox.stale") != want {
			t.Errorf("process span of %s: evgen.inbox.stale = %q, want %q", id, attr(p, "evgen.inbox.stale"), want)
		}
		if id == "stale-1" {
			if ev := p.Events(); len(ev) != 1 || ev[0].Name != "stale: an event of its key as new or newer was applied before, skipped" {
				t.Errorf("stale event's span events = %v", ev)
			}
		}
	}
	if h := got.list(); !slices.Equal(h, []userChanged{{"a", 2}}) {
		t.Errorf("handlers ran for %v, want only a at version 2", h)
	}
}
