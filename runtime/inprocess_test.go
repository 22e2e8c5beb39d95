package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/evgenhq/evgen/runtime"
)

func TestInProcessDeliversThroughInbox(t *testing.T) {
	bus := runtime.NewInProcessBus()
	users, _ := newService(t, runtime.Config{Contract: usersContract, Transport: runtime.InProcess(bus), Store: runtime.NewMemoryStore()})
	billing, reg := newService(t, runtime.Config{Contract: billingContract, Transport: runtime.InProcess(bus), Store: runtime.NewMemoryStore()})
	var rec recorder
	if err := runtime.RegisterAll(billing, rec.handler()); err != nil {
		t.Fatal(err)
	}
	start(t, billing)
	ctx := context.Background()
	first := encode(t, userRegistered{UserID: "0"})
	if err := users.Publish(ctx, first); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < 10; i++ {
		if err := runtime.Publish(ctx, users, userRegistered{UserID: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	// A second copy of an event already applied is skipped by the inbox.
	if err := users.Publish(ctx, first.Copy()); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "10 events and 1 duplicate", func() bool {
		return metric(t, reg, "evgen_events_consumed_total") == 10 && metric(t, reg, "evgen_events_duplicates_total") == 1
	})
	got, counts := rec.snapshot()
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
	bus := runtime.NewInProcessBus()
	billing, _ := newService(t, runtime.Config{Contract: billingContract, Transport: runtime.InProcess(bus), Store: runtime.NewMemoryStore()})
	attempts := 0
	err := billing.Register(runtime.On(func(ctx context.Context, e userRegistered, m runtime.Meta) error {
		if err := runtime.Publish(ctx, runtime.TxPublisher(ctx), invoicePaid{InvoiceID: e.UserID}); err != nil {
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
	invoices, err := bus.Subscribe(context.Background(), "evgen.billing:billing.InvoicePaid.v2")
	if err != nil {
		t.Fatal(err)
	}
	start(t, billing)
	users, _ := newService(t, runtime.Config{Contract: usersContract, Transport: runtime.InProcess(bus), Store: runtime.NewMemoryStore()})
	in := encode(t, userRegistered{UserID: "u1"})
	if err := users.Publish(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	var got *message.Message
	select {
	case got = <-invoices:
		got.Ack()
	case <-time.After(5 * time.Second):
		t.Fatal("no InvoicePaid relayed")
	}
	if got.Metadata.Get(runtime.HeaderCausationID) != in.UUID || got.Metadata.Get(runtime.HeaderCorrelationID) != in.UUID {
		t.Fatalf("causation %q correlation %q, want both %q", got.Metadata.Get(runtime.HeaderCausationID), got.Metadata.Get(runtime.HeaderCorrelationID), in.UUID)
	}
	if attempts != 2 {
		t.Fatalf("handler ran %d times, want 2", attempts)
	}
	// The relay sends in order, so anything the failed attempt had queued
	// would have come first.
	select {
	case extra := <-invoices:
		t.Fatalf("the failed attempt's event was published too: %s", extra.UUID)
	default:
	}
}
