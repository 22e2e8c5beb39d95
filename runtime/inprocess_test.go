package runtime

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
)

func TestInProcessDeliversThroughInbox(t *testing.T) {
	bus := NewInProcessBus()
	users := newService(t, Config{Contract: usersContract, Transport: InProcess(bus), Store: NewMemoryStore()})
	var rec recorder
	billing := newService(t, Config{Contract: billingContract, Transport: InProcess(bus), Store: NewMemoryStore()})
	if err := RegisterAll(billing, rec.handler()); err != nil {
		t.Fatal(err)
	}
	start(t, billing)
	ctx := context.Background()
	for i := range 10 {
		if err := Publish(ctx, users, userRegistered{UserID: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	// A second copy of an event already applied is skipped by the inbox.
	if err := Publish(ctx, users, userRegistered{UserID: "0"}, WithID(mustFirstID(t, &rec))); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "10 events handled", func() bool { return rec.len() >= 10 })
	eventually(t, 5*time.Second, "duplicate counted", func() bool { return counterValue(t, billing.metrics.duplicates) == 1 })
	users2, counts := rec.snapshot()
	if len(users2) != 10 {
		t.Fatalf("handled %d events, want 10", len(users2))
	}
	for id, n := range counts {
		if n != 1 {
			t.Errorf("event %s handled %d times", id, n)
		}
	}
}

func mustFirstID(t *testing.T, rec *recorder) string {
	t.Helper()
	eventually(t, 5*time.Second, "first event", func() bool { return rec.len() > 0 })
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.ids[0]
}

func TestInProcessHandlerPublishesWithCausation(t *testing.T) {
	bus := NewInProcessBus()
	store := NewMemoryStore()
	billing := newService(t, Config{Contract: billingContract, Transport: InProcess(bus), Store: store})
	fail := true
	err := billing.Register(On(func(ctx context.Context, e userRegistered, m Meta) error {
		if err := Publish(ctx, TxPublisher(ctx), invoicePaid{InvoiceID: e.UserID}); err != nil {
			return err
		}
		if fail {
			fail = false
			return errors.New("first attempt fails after publishing")
		}
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	invoices, err := bus.Subscribe(context.Background(), "evgen.billing:billing.InvoicePaid.v2")
	if err != nil {
		t.Fatal(err)
	}
	start(t, billing)
	users := newService(t, Config{Contract: usersContract, Transport: InProcess(bus), Store: NewMemoryStore()})
	var c capture
	if err := Publish(context.Background(), &c, userRegistered{UserID: "u1"}); err != nil {
		t.Fatal(err)
	}
	if err := users.Publish(context.Background(), c.msgs...); err != nil {
		t.Fatal(err)
	}
	var got *message.Message
	select {
	case got = <-invoices:
		got.Ack()
	case <-time.After(5 * time.Second):
		t.Fatal("no InvoicePaid relayed")
	}
	if got.Metadata.Get(HeaderCausationID) != c.msgs[0].UUID || got.Metadata.Get(HeaderCorrelationID) != c.msgs[0].UUID {
		t.Fatalf("causation %q correlation %q, want both %q", got.Metadata.Get(HeaderCausationID), got.Metadata.Get(HeaderCorrelationID), c.msgs[0].UUID)
	}
	select {
	case extra := <-invoices:
		t.Fatalf("the failed attempt's event was published too: %s", extra.UUID)
	case <-time.After(200 * time.Millisecond):
	}
}
