package inprocess_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/evgenhq/evgen/internal/servicetest"
	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store"
	"github.com/evgenhq/evgen/runtime/store/memory"
)

// emailChanged is a second event type of users, so that order across event
// types (bound separately) is tested too.
type emailChanged struct {
	UserID string `json:"user_id"`
	Email  string `json:"email"`
}

func (emailChanged) EventType() string  { return "users.EmailChanged" }
func (emailChanged) EventVersion() int  { return 1 }
func (e emailChanged) EventKey() string { return e.UserID }
func (emailChanged) Validate() error    { return nil }

var (
	emailInfo = runtime.EventInfo{Producer: "users", Name: "EmailChanged", Type: "users.EmailChanged", Version: 1, Key: "user_id"}

	usersMixedContract = runtime.Contract{Service: "users", Publishes: []runtime.EventInfo{servicetest.UsersInfo, emailInfo}}
	crmContract        = runtime.Contract{Service: "crm", Consumes: []runtime.EventInfo{servicetest.UsersInfo, emailInfo}}
)

// sequence records the order in which a service applied events, and how
// often it applied each.
type sequence struct {
	mu    sync.Mutex
	seen  []string
	times map[string]int
}

func (s *sequence) add(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.times == nil {
		s.times = map[string]int{}
	}
	s.seen = append(s.seen, v)
	s.times[v]++
}

func (s *sequence) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seen)
}

func (s *sequence) get() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.seen)
}

// handlers record both users events into s; hook, when set, runs first
// with the recorded value.
func (s *sequence) handlers(hook func(string) error) []runtime.EventHandler {
	rec := func(v string) error {
		if hook != nil {
			if err := hook(v); err != nil {
				return err
			}
		}
		s.add(v)
		return nil
	}
	return []runtime.EventHandler{
		runtime.On(func(_ context.Context, e testenv.UserRegistered, _ runtime.Meta) error { return rec(e.UserID) }),
		runtime.On(func(_ context.Context, e emailChanged, _ runtime.Meta) error { return rec(e.Email) }),
	}
}

// mixed returns event i of a stream alternating irregularly between the
// two users event types, and the value its handler records.
func mixed(i int) (runtime.Event, string) {
	v := fmt.Sprintf("e%04d", i)
	if i%3 == 0 || i%7 == 0 {
		return emailChanged{UserID: "u", Email: v}, v
	}
	return testenv.UserRegistered{UserID: v}, v
}

// publishMixed publishes events from..to-1 of the mixed stream and returns
// the values their handlers record, in publish order.
func publishMixed(t *testing.T, users *service.Service, from, to int) []string {
	t.Helper()
	var want []string
	for i := from; i < to; i++ {
		e, v := mixed(i)
		if err := runtime.Publish(context.Background(), users, e); err != nil {
			t.Fatal(err)
		}
		want = append(want, v)
	}
	return want
}

// newCRM builds a crm service on bus and store recording into seq.
func newCRM(t *testing.T, bus *service.InProcessBus, st store.Store, seq *sequence, hook func(string) error) *service.Service {
	t.Helper()
	crm, _ := servicetest.Quiet(t, service.Config{Contract: crmContract, Transport: service.InProcess(bus), Store: st})
	if err := runtime.RegisterAll(crm, seq.handlers(hook)...); err != nil {
		t.Fatal(err)
	}
	return crm
}

func newMixedUsers(t *testing.T, bus *service.InProcessBus) *service.Service {
	t.Helper()
	users, _ := servicetest.Quiet(t, service.Config{Contract: usersMixedContract, Transport: service.InProcess(bus), Store: memory.New()})
	return users
}

// drainBus waits until the named queues of bus hold nothing, neither
// waiting nor delivered and unacked: every delivery was settled, so counts
// checked afterwards have seen every duplicate.
func drainBus(t *testing.T, bus *service.InProcessBus, queues ...string) {
	t.Helper()
	for _, q := range queues {
		testenv.Eventually(t, 10*time.Second, "an empty "+q+" queue", func() bool { return len(bus.Waiting(q)) == 0 })
	}
}

// checkOnceInOrder fails unless seq applied exactly want, in that order.
func checkOnceInOrder(t *testing.T, seq *sequence, want []string) {
	t.Helper()
	got := seq.get()
	if slices.Equal(got, want) {
		return
	}
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			t.Fatalf("applied %d events, want %d; first difference at %d: got %s, want %s", len(got), len(want), i, got[i], want[i])
		}
	}
	t.Fatalf("applied %d events, want %d", len(got), len(want))
}

func TestInProcessKeepsPublishOrderAcrossEventTypes(t *testing.T) {
	bus := service.NewInProcessBus()
	var seq sequence
	servicetest.StartReady(t, newCRM(t, bus, memory.New(), &seq, nil))
	want := publishMixed(t, newMixedUsers(t, bus), 0, 1000)
	drainBus(t, bus, service.QueueName("", "crm"))
	checkOnceInOrder(t, &seq, want)
}

func TestInProcessRestartedConsumerGetsMissedEventsInOrder(t *testing.T) {
	bus := service.NewInProcessBus()
	users, st := newMixedUsers(t, bus), memory.New()
	var seq sequence
	first := servicetest.StartReady(t, newCRM(t, bus, st, &seq, nil))
	want := publishMixed(t, users, 0, 100)
	drainBus(t, bus, service.QueueName("", "crm"))
	if err := first.Stop(); err != nil {
		t.Fatal(err)
	}

	want = append(want, publishMixed(t, users, 100, 600)...)
	if n := len(bus.Waiting(service.QueueName("", "crm"))); n != 500 {
		t.Fatalf("the stopped service's queue holds %d events, want the 500 published meanwhile", n)
	}
	servicetest.StartReady(t, newCRM(t, bus, st, &seq, nil))
	drainBus(t, bus, service.QueueName("", "crm"))
	checkOnceInOrder(t, &seq, want)
}

func TestInProcessShutdownMidStreamLosesNothing(t *testing.T) {
	bus := service.NewInProcessBus()
	users, st := newMixedUsers(t, bus), memory.New()
	want := publishMixed(t, users, 0, 1000)

	// The first run stops while it handles event 200, with deliveries
	// prefetched behind it.
	var seq sequence
	reached, cancelled := make(chan struct{}), make(chan struct{})
	hook := func(v string) error {
		if v == want[200] {
			close(reached)
			<-cancelled
		}
		return nil
	}
	first := servicetest.Start(t, newCRM(t, bus, st, &seq, hook))
	<-reached
	first.Cancel()
	close(cancelled)
	if err := first.Stop(); err != nil {
		t.Fatal(err)
	}
	if applied, waiting := seq.len(), len(bus.Waiting(service.QueueName("", "crm"))); applied+waiting != len(want) {
		t.Fatalf("after shutdown: %d applied + %d waiting in the queue, want %d", applied, waiting, len(want))
	}

	servicetest.StartReady(t, newCRM(t, bus, st, &seq, nil))
	drainBus(t, bus, service.QueueName("", "crm"))
	checkOnceInOrder(t, &seq, want)
}

func TestInProcessFansOutToEachService(t *testing.T) {
	bus := service.NewInProcessBus()
	var billingSeen, shippingSeen sequence
	billing, _ := servicetest.Quiet(t, service.Config{Contract: servicetest.BillingContract, Transport: service.InProcess(bus), Store: memory.New()})
	if err := billing.Register(billingSeen.handlers(nil)[0]); err != nil {
		t.Fatal(err)
	}
	servicetest.StartReady(t, billing)
	users, _ := servicetest.Quiet(t, service.Config{Contract: servicetest.UsersContract, Transport: service.InProcess(bus), Store: memory.New()})
	var want []string
	for i := range 50 {
		want = append(want, fmt.Sprint(i))
		if err := runtime.Publish(context.Background(), users, testenv.UserRegistered{UserID: want[i]}); err != nil {
			t.Fatal(err)
		}
	}

	// Shipping starts after the events were published: the bus keeps them
	// for a service that declares its queue later.
	shipping, _ := servicetest.Quiet(t, service.Config{Contract: servicetest.ShippingContract, Transport: service.InProcess(bus), Store: memory.New()})
	err := runtime.RegisterAll(shipping, shippingSeen.handlers(nil)[0],
		runtime.On(func(context.Context, servicetest.InvoicePaid, runtime.Meta) error { return nil }))
	if err != nil {
		t.Fatal(err)
	}
	servicetest.StartReady(t, shipping)
	drainBus(t, bus, service.QueueName("", "billing"), service.QueueName("", "shipping"))
	checkOnceInOrder(t, &billingSeen, want)
	checkOnceInOrder(t, &shippingSeen, want)
}

func TestInProcessReplicasCompeteForTheirQueue(t *testing.T) {
	bus := service.NewInProcessBus()
	st := memory.New()
	var seq sequence
	a, regA := servicetest.Quiet(t, service.Config{Contract: crmContract, Transport: service.InProcess(bus), Store: st})
	b, regB := servicetest.Quiet(t, service.Config{Contract: crmContract, Transport: service.InProcess(bus), Store: st})
	for _, replica := range []*service.Service{a, b} {
		if err := runtime.RegisterAll(replica, seq.handlers(nil)...); err != nil {
			t.Fatal(err)
		}
		servicetest.StartReady(t, replica)
	}
	want := publishMixed(t, newMixedUsers(t, bus), 0, 200)
	drainBus(t, bus, service.QueueName("", "crm"))
	if consumed := servicetest.Metric(t, regA, "evgen_events_consumed_total") + servicetest.Metric(t, regB, "evgen_events_consumed_total"); consumed != 200 {
		t.Fatalf("the replicas consumed %v events, want 200", consumed)
	}
	// Each event was delivered to one replica: neither saw a duplicate.
	if dups := servicetest.Metric(t, regA, "evgen_events_duplicates_total") + servicetest.Metric(t, regB, "evgen_events_duplicates_total"); dups != 0 {
		t.Fatalf("%v deliveries were duplicates: the replicas did not compete", dups)
	}
	got := seq.get()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatal("the replicas together did not apply each event once")
	}
}

func TestInProcessDeadLetters(t *testing.T) {
	bus := service.NewInProcessBus()
	var seq sequence
	hook := func(v string) error {
		if v == "e0002" {
			return errors.New("customer e0002 is cursed")
		}
		return nil
	}
	servicetest.StartReady(t, newCRM(t, bus, memory.New(), &seq, hook))
	users := newMixedUsers(t, bus)
	publishMixed(t, users, 0, 3)
	notJSON := servicetest.Encode(t, testenv.UserRegistered{UserID: "x"})
	notJSON.Payload = []byte("not json")
	if err := users.Publish(context.Background(), notJSON); err != nil {
		t.Fatal(err)
	}
	publishMixed(t, users, 3, 5)

	drainBus(t, bus, service.QueueName("", "crm"))
	checkOnceInOrder(t, &seq, []string{"e0000", "e0001", "e0003", "e0004"})
	dead := bus.Waiting("evgen.crm.dlq")
	if len(dead) != 2 {
		t.Fatalf("%d dead letters, want 2", len(dead))
	}
	tests := []struct {
		attempts, reason string
	}{
		{"3", "customer e0002 is cursed"},
		{"1", "decode users.UserRegistered v1"}, // permanent: no retries
	}
	for i, tt := range tests {
		md := dead[i].Metadata
		if md.Get(service.HeaderDLQAttempts) != tt.attempts || !strings.Contains(md.Get(service.HeaderDLQError), tt.reason) {
			t.Errorf("dead letter %d: attempts %q, error %q; want %s attempts and %q", i, md.Get(service.HeaderDLQAttempts), md.Get(service.HeaderDLQError), tt.attempts, tt.reason)
		}
		if md.Get(service.HeaderDLQRoutingKey) == "" || md.Get(service.HeaderDLQExchange) != "evgen.users" {
			t.Errorf("dead letter %d: original routing %q %q not kept", i, md.Get(service.HeaderDLQExchange), md.Get(service.HeaderDLQRoutingKey))
		}
	}
	if dead[1].UUID != notJSON.UUID {
		t.Errorf("second dead letter is %s, want the undecodable event %s", dead[1].UUID, notJSON.UUID)
	}
}

func TestInProcessDeliversThroughInbox(t *testing.T) {
	bus := service.NewInProcessBus()
	users, _ := servicetest.Quiet(t, service.Config{Contract: servicetest.UsersContract, Transport: service.InProcess(bus), Store: memory.New()})
	billing, reg := servicetest.Quiet(t, service.Config{Contract: servicetest.BillingContract, Transport: service.InProcess(bus), Store: memory.New()})
	var rec servicetest.Recorder
	if err := runtime.RegisterAll(billing, rec.Handler()); err != nil {
		t.Fatal(err)
	}
	servicetest.StartReady(t, billing)
	ctx := context.Background()
	first := servicetest.Encode(t, testenv.UserRegistered{UserID: "0"})
	if err := users.Publish(ctx, first); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < 10; i++ {
		if err := runtime.Publish(ctx, users, testenv.UserRegistered{UserID: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	// A second copy of an event already applied is skipped by the inbox.
	if err := users.Publish(ctx, first.Copy()); err != nil {
		t.Fatal(err)
	}
	drainBus(t, bus, service.QueueName("", "billing"))
	if consumed, dups := servicetest.Metric(t, reg, "evgen_events_consumed_total"), servicetest.Metric(t, reg, "evgen_events_duplicates_total"); consumed != 10 || dups != 1 {
		t.Fatalf("%v events consumed and %v duplicates skipped, want 10 and 1", consumed, dups)
	}
	got, counts := rec.Snapshot()
	if len(got) != 10 {
		t.Fatalf("handled %d events, want 10", len(got))
	}
	for id, n := range counts {
		if n != 1 {
			t.Errorf("event %s handled %d times", id, n)
		}
	}
}

func TestInProcessHandlerPublishesOnlyWhenItCommits(t *testing.T) {
	bus := service.NewInProcessBus()
	billing, _ := servicetest.Quiet(t, service.Config{Contract: servicetest.BillingContract, Transport: service.InProcess(bus), Store: memory.New()})
	attempts := 0
	err := billing.Register(runtime.On(func(ctx context.Context, e testenv.UserRegistered, m runtime.Meta) error {
		if err := runtime.Publish(ctx, service.TxPublisher(ctx), servicetest.InvoicePaid{InvoiceID: e.UserID}); err != nil {
			return err
		}
		if attempts++; attempts == 1 {
			return errors.New("first attempt fails after publishing")
		}
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	servicetest.StartReady(t, billing)
	users, _ := servicetest.Quiet(t, service.Config{Contract: servicetest.UsersContract, Transport: service.InProcess(bus), Store: memory.New()})
	in := servicetest.Encode(t, testenv.UserRegistered{UserID: "u1"})
	if err := users.Publish(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	var invoices []*message.Message
	testenv.Eventually(t, 5*time.Second, "an InvoicePaid relayed", func() bool {
		invoices = invoicesOn(bus)
		return len(invoices) > 0
	})
	got := invoices[0]
	if got.Metadata.Get(runtime.HeaderCausationID) != in.UUID || got.Metadata.Get(runtime.HeaderCorrelationID) != in.UUID {
		t.Fatalf("causation %q correlation %q, want both %q", got.Metadata.Get(runtime.HeaderCausationID), got.Metadata.Get(runtime.HeaderCorrelationID), in.UUID)
	}
	if attempts != 2 {
		t.Fatalf("handler ran %d times, want 2", attempts)
	}
	// The relay sends in order, so anything the failed attempt had queued
	// would have come first.
	if len(invoices) != 1 {
		t.Fatalf("the failed attempt's event was published too: %d InvoicePaid events", len(invoices))
	}
}

// invoicesOn returns the InvoicePaid events published on bus.
func invoicesOn(bus *service.InProcessBus) []*message.Message {
	var out []*message.Message
	for _, msg := range bus.Published() {
		if msg.Metadata.Get(runtime.HeaderType) == "billing.InvoicePaid" {
			out = append(out, msg)
		}
	}
	return out
}

// A nil bus is refused with the constructor to call, as the caller must
// spell it.
func TestInProcessNilBusNamesTheConstructor(t *testing.T) {
	_, err := service.New(service.Config{Contract: crmContract, Store: memory.New(), Transport: service.InProcess(nil)})
	if err == nil || !strings.Contains(err.Error(), "use service.NewInProcessBus()") {
		t.Fatalf("New with a nil bus: %v, want an error saying to use service.NewInProcessBus()", err)
	}
}
