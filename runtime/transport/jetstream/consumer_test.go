package jetstream_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/evgenhq/evgen/internal/testenv"
	tt "github.com/evgenhq/evgen/internal/transporttest"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store"
	"github.com/evgenhq/evgen/runtime/store/memory"
	"github.com/evgenhq/evgen/runtime/transport/jetstream"
)

// opts redeliver quickly what a stopped consumer left unacked.
var opts = jetstream.Options{AckWait: 3 * time.Second}

func (b *broker) service(t testing.TB, c runtime.Contract, st store.Store, o jetstream.Options) *service.Service {
	t.Helper()
	return tt.NewService(t, service.Config{Contract: c, Transport: jetstream.New(b.url, o), Store: st, Namespace: b.namespace})
}

// Two services each get every event; the two replicas of billing share
// billing's events, and between them apply each once.
func TestFanOutAndCompetingReplicas(t *testing.T) {
	const events = 200
	b := newBroker(t)
	billingStore := memory.New()
	var billing1, billing2, shipping tt.Applied
	for _, r := range []*tt.Applied{&billing1, &billing2} {
		svc := b.service(t, tt.BillingContract, billingStore, opts)
		tt.Register(t, svc, r.RegisteredHandler())
		tt.Run(t, svc)
	}
	shippingSvc := b.service(t, tt.ShippingContract, memory.New(), opts)
	tt.Register(t, shippingSvc, shipping.RegisteredHandler(), shipping.EmailChangedHandler())
	tt.Run(t, shippingSvc)
	users := b.service(t, tt.UsersContract, memory.New(), opts)
	for i := range events {
		tt.Publish(t, users, tt.UserRegistered{UserID: fmt.Sprint(i)})
	}

	testenv.Eventually(t, 30*time.Second, "billing's and shipping's consumers to be drained", func() bool {
		return b.drained(t, "users", "billing") && b.drained(t, "users", "shipping")
	})
	n1, d1 := billing1.Counts()
	n2, d2 := billing2.Counts()
	if n1+n2 != events || d1+d2 != events {
		t.Errorf("billing's replicas applied %d+%d events (%d+%d distinct), want %d in all, each once", n1, n2, d1, d2, events)
	}
	if n1 == 0 || n2 == 0 {
		t.Errorf("billing's replicas applied %d and %d events: they did not share the queue group", n1, n2)
	}
	if n, d := shipping.Counts(); n != events || d != events {
		t.Errorf("shipping applied %d events (%d distinct), want all %d once", n, d, events)
	}
}

// Billing is stopped while users publishes 1,000 events; when it comes
// back, its durable consumer hands it every one, and it applies each once,
// in publish order.
func TestStoppedConsumerCatchesUp(t *testing.T) {
	const events = 1000
	b := newBroker(t)
	st := memory.New()
	var billing tt.Applied
	first := b.service(t, tt.BillingContract, st, opts)
	tt.Register(t, first, billing.RegisteredHandler())
	tt.Run(t, first)() // creates the durable consumer, then stops

	users := b.service(t, tt.UsersContract, memory.New(), opts)
	for i := range events {
		tt.Publish(t, users, tt.UserRegistered{UserID: fmt.Sprint(i)}, runtime.WithID(fmt.Sprintf("%04d", i)))
	}
	if n, _ := billing.Counts(); n != 0 {
		t.Fatalf("stopped billing applied %d events", n)
	}
	again := b.service(t, tt.BillingContract, st, opts)
	tt.Register(t, again, billing.RegisteredHandler())
	tt.Run(t, again)
	testenv.Eventually(t, 60*time.Second, "billing's consumer to be drained", func() bool {
		return b.drained(t, "users", "billing")
	})
	if n, d := billing.Counts(); n != events || d != events {
		t.Errorf("billing applied %d events (%d distinct) after coming back, want all %d once", n, d, events)
	}
	if got := billing.Snapshot(); !slices.IsSorted(got) {
		t.Errorf("billing applied the events out of publish order: %v", got)
	}
}

// An event billing cannot decode goes to the dead-letter subject billing's
// options name, with the reason; the events around it are applied.
func TestPoisonToChosenSubject(t *testing.T) {
	b := newBroker(t)
	o := opts
	o.DeadLetterTopic = func(namespace, service string) string { return namespace + ".audit." + service }
	var billing tt.Applied
	svc := b.service(t, tt.BillingContract, memory.New(), o)
	tt.Register(t, svc, billing.RegisteredHandler())
	tt.Run(t, svc)
	users := b.service(t, tt.UsersContract, memory.New(), o)

	tt.Publish(t, users, tt.UserRegistered{UserID: "before"}, runtime.WithID("before"))
	poison := tt.Encode(t, tt.UserRegistered{UserID: "x"}, runtime.WithID("poison"))
	poison.Payload = []byte(`{"user_id": 42}`)
	msg, err := jetstream.Marshaler{}.Marshal(b.namespace+".users", poison)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.js.PublishMsg(msg); err != nil {
		t.Fatal(err)
	}
	tt.Publish(t, users, tt.UserRegistered{UserID: "after"}, runtime.WithID("after"))

	dead, err := b.js.SubscribeSync(b.namespace+".audit.billing", nats.DeliverAll())
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Unsubscribe()
	m, err := dead.NextMsg(20 * time.Second)
	if err != nil {
		t.Fatalf("no dead letter on %s.audit.billing: %v", b.namespace, err)
	}
	got, _ := jetstream.Marshaler{}.Unmarshal(m)
	if got.UUID != "poison" || got.Metadata.Get(service.HeaderDLQError) == "" || got.Metadata.Get(runtime.HeaderType) != "users.UserRegistered" {
		t.Errorf("dead letter %s of type %q with reason %q, want poison, users.UserRegistered, with a reason",
			got.UUID, got.Metadata.Get(runtime.HeaderType), got.Metadata.Get(service.HeaderDLQError))
	}
	testenv.Eventually(t, 20*time.Second, "billing's consumer to be drained", func() bool { return b.drained(t, "users", "billing") })
	if got := billing.Snapshot(); len(got) != 2 || got[0] != "before" || got[1] != "after" {
		t.Errorf("billing applied %v, want [before after]", got)
	}
}

// A graceful stop passes on the ack of the last event billing applied
// before the subscription ends: otherwise JetStream would hold that event
// unacked, and with one event in flight send nothing more until AckWait
// (30s by default) passed, at every restart. Billing stops as it handles
// its last event, so that the ack is the last thing before the stop.
func TestGracefulRestartKeepsFlowing(t *testing.T) {
	const batch = 20
	b := newBroker(t)
	st := memory.New()
	var billing tt.Applied
	ctx, cancel := context.WithCancel(context.Background())
	first := b.service(t, tt.BillingContract, st, jetstream.Options{})
	tt.Register(t, first, runtime.On(func(_ context.Context, _ tt.UserRegistered, m runtime.Meta) error {
		billing.Add(m.ID)
		if n, _ := billing.Counts(); n == batch {
			cancel() // Run finishes this event, acks it, and returns
		}
		return nil
	}))
	done := make(chan error, 1)
	go func() { done <- first.Run(ctx) }()
	<-first.Ready()
	users := b.service(t, tt.UsersContract, memory.New(), opts)
	for i := range batch {
		tt.Publish(t, users, tt.UserRegistered{UserID: fmt.Sprint(i)})
	}
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	for i := range batch {
		tt.Publish(t, users, tt.UserRegistered{UserID: fmt.Sprint(batch + i)})
	}
	again := b.service(t, tt.BillingContract, st, jetstream.Options{})
	tt.Register(t, again, billing.RegisteredHandler())
	tt.Run(t, again)
	testenv.Eventually(t, 10*time.Second, "restarted billing to apply the events published while it was stopped", func() bool {
		n, _ := billing.Counts()
		return n == 2*batch
	})
}

// Billing restarted with other AckWait and MaxAckPending runs with them:
// its durable consumer is updated, and keeps its place in the stream.
func TestChangedOptionsTakeEffect(t *testing.T) {
	b := newBroker(t)
	st := memory.New()
	var billing tt.Applied
	first := b.service(t, tt.BillingContract, st, opts)
	tt.Register(t, first, billing.RegisteredHandler())
	tt.Run(t, first)()
	users := b.service(t, tt.UsersContract, memory.New(), opts)
	tt.Publish(t, users, tt.UserRegistered{UserID: "while-stopped"}, runtime.WithID("while-stopped"))

	changed := jetstream.Options{AckWait: 7 * time.Second, MaxAckPending: 16}
	again := b.service(t, tt.BillingContract, st, changed)
	tt.Register(t, again, billing.RegisteredHandler())
	tt.Run(t, again)
	testenv.Eventually(t, 10*time.Second, "billing to apply the event published while it was stopped", func() bool {
		n, _ := billing.Counts()
		return n == 1
	})
	info, err := b.js.ConsumerInfo(jetstream.StreamName(b.namespace+".users"), b.namespace+"_billing")
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.AckWait != changed.AckWait || info.Config.MaxAckPending != changed.MaxAckPending {
		t.Errorf("billing's consumer has AckWait %s, MaxAckPending %d; want %s, %d", info.Config.AckWait, info.Config.MaxAckPending, changed.AckWait, changed.MaxAckPending)
	}
}
