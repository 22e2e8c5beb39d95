package pubsub_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"

	"github.com/evgenhq/evgen/internal/testenv"
	tt "github.com/evgenhq/evgen/internal/transporttest"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store/memory"
	"github.com/evgenhq/evgen/runtime/transport/pubsub"
)

// newGoChannel is an ordered gochannel: Publish waits for every
// subscriber's ack, so events arrive in publish order.
func newGoChannel(t *testing.T) *gochannel.GoChannel {
	t.Helper()
	gc := gochannel.NewGoChannel(gochannel.Config{BlockPublishUntilSubscriberAck: true}, nil)
	t.Cleanup(func() { gc.Close() })
	return gc
}

// Over gochannel, each consuming service gets every event of the types it
// consumes, in publish order, once; billing, which does not consume
// EmailChanged, never sees one.
func TestGoChannelFanOutInOrder(t *testing.T) {
	gc := newGoChannel(t)
	cfg := pubsub.GoChannel(gc)
	var billing, shipping tt.Applied
	billingSvc := tt.NewService(t, service.Config{Contract: tt.BillingContract, Transport: pubsub.New(cfg), Store: memory.New()})
	shippingSvc := tt.NewService(t, service.Config{Contract: tt.ShippingContract, Transport: pubsub.New(cfg), Store: memory.New()})
	tt.Register(t, billingSvc, billing.RegisteredHandler())
	tt.Register(t, shippingSvc, shipping.RegisteredHandler(), shipping.EmailChangedHandler())
	tt.Run(t, billingSvc)
	tt.Run(t, shippingSvc)
	users := tt.NewService(t, service.Config{Contract: tt.UsersContract, Transport: pubsub.New(cfg), Store: memory.New()})

	var want, wantBilling []string
	for i := range 50 {
		id := fmt.Sprintf("r-%02d", i)
		tt.Publish(t, users, tt.UserRegistered{UserID: id}, runtime.WithID(id))
		want, wantBilling = append(want, id), append(wantBilling, id)
		id = fmt.Sprintf("e-%02d", i)
		tt.Publish(t, users, tt.EmailChanged{UserID: id, Email: id + "@example.com"}, runtime.WithID(id))
		want = append(want, id)
	}
	testenv.Eventually(t, 10*time.Second, "shipping to apply 100 events", func() bool { n, _ := shipping.Counts(); return n >= 100 })
	testenv.Eventually(t, 10*time.Second, "billing to apply 50 events", func() bool { n, _ := billing.Counts(); return n >= 50 })
	if got := shipping.Snapshot(); !slices.Equal(got, want) {
		t.Errorf("shipping applied %v, want %v", got, want)
	}
	if got := billing.Snapshot(); !slices.Equal(got, wantBilling) {
		t.Errorf("billing applied %v, want only the registrations %v", got, wantBilling)
	}
}

// What the transport cannot do is refused by service.New, with a message
// that says what to change.
func TestNewRefusesWhatTheTransportCannotDo(t *testing.T) {
	gc := newGoChannel(t)
	noSubscriber := pubsub.GoChannel(gc)
	noSubscriber.Subscriber = nil
	cases := []struct {
		name string
		cfg  service.Config
		want string
	}{
		{"batches", service.Config{Contract: tt.BillingContract, Transport: pubsub.New(pubsub.GoChannel(gc)), Concurrency: 4}, "Concurrency 4"},
		{"no subscriber", service.Config{Contract: tt.BillingContract, Transport: pubsub.New(noSubscriber)}, "Config.Subscriber is nil"},
		{"no publisher", service.Config{Contract: tt.UsersContract, Transport: pubsub.New(pubsub.Config{})}, "Config.Publisher is nil"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.cfg.Store = memory.New()
			_, err := service.New(c.cfg)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("service.New: %v, want an error saying %q", err, c.want)
			}
		})
	}
	// A publishing service needs no subscriber.
	if _, err := service.New(service.Config{Contract: tt.UsersContract, Transport: pubsub.New(noSubscriber), Store: memory.New()}); err != nil {
		t.Errorf("service.New of a service that only publishes: %v", err)
	}
}

// An event billing cannot decode, and a message with no event type at
// all, go to the dead-letter topic billing's config names, with the
// reason; the events around them are applied.
func TestGoChannelPoisonToChosenTopic(t *testing.T) {
	gc := newGoChannel(t)
	cfg := pubsub.GoChannel(gc)
	cfg.DeadLetterTopic = func(namespace, service string) string { return "audit." + namespace + "." + service }
	dead := deadLetters(t, gc, "audit.evgen.billing")
	var billing tt.Applied
	svc := tt.NewService(t, service.Config{Contract: tt.BillingContract, Transport: pubsub.New(cfg), Store: memory.New()})
	tt.Register(t, svc, billing.RegisteredHandler())
	tt.Run(t, svc)
	users := tt.NewService(t, service.Config{Contract: tt.UsersContract, Transport: pubsub.New(cfg), Store: memory.New()})

	tt.Publish(t, users, tt.UserRegistered{UserID: "before"}, runtime.WithID("before"))
	poison := tt.Encode(t, tt.UserRegistered{UserID: "x"}, runtime.WithID("poison"))
	poison.Payload = []byte(`{"user_id": 42}`)
	untyped := message.NewMessage("untyped", []byte(`{}`))
	for _, m := range []*message.Message{poison, untyped} {
		if err := gc.Publish(pubsub.Topic("evgen", "users"), m); err != nil {
			t.Fatal(err)
		}
	}
	tt.Publish(t, users, tt.UserRegistered{UserID: "after"}, runtime.WithID("after"))

	for _, wantID := range []string{"poison", "untyped"} {
		select {
		case m := <-dead:
			if m.UUID != wantID || m.Metadata.Get(service.HeaderDLQError) == "" {
				t.Errorf("dead letter %s with reason %q, want %s with a reason", m.UUID, m.Metadata.Get(service.HeaderDLQError), wantID)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no dead letter %s on audit.evgen.billing within 10s", wantID)
		}
	}
	testenv.Eventually(t, 10*time.Second, "billing to apply the events around the poison", func() bool { n, _ := billing.Counts(); return n >= 2 })
	if got := billing.Snapshot(); !slices.Equal(got, []string{"before", "after"}) {
		t.Errorf("billing applied %v, want [before after]", got)
	}
}

// deadLetters acks and collects what arrives on topic: gochannel's Publish
// waits for the ack, and the dead-lettering service waits for its Publish.
func deadLetters(t *testing.T, gc *gochannel.GoChannel, topic string) <-chan *message.Message {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	in, err := gc.Subscribe(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan *message.Message, 16)
	go func() {
		for m := range in {
			m.Ack()
			out <- m
		}
	}()
	return out
}

// Sync needs an event log, which the engine reads from RabbitMQ only: over
// a Watermill Pub/Sub it fails at once, saying so.
func TestSyncRefused(t *testing.T) {
	svc := tt.NewService(t, service.Config{Contract: tt.BillingContract, Transport: pubsub.New(pubsub.GoChannel(newGoChannel(t))), Store: memory.New()})
	var billing tt.Applied
	tt.Register(t, svc, billing.RegisteredHandler())
	_, err := svc.Sync(context.Background(), "users", runtime.SyncFromStart(), runtime.SyncOptions{})
	if !errors.Is(err, service.ErrNoEventLog) {
		t.Fatalf("Sync: %v, want ErrNoEventLog", err)
	}
}
