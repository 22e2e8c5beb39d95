package service

import (
	"context"
	"errors"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/store/memory"
	"github.com/prometheus/client_golang/prometheus"
)

// A retry that finds its event already applied (a second copy of it was
// handled meanwhile) must not release what the failed first attempt
// published: that attempt was rolled back, and the copy that won published
// its own events.
func TestDuplicateRetryReleasesNothingOfTheFailedAttempt(t *testing.T) {
	store := memory.New()
	s, err := New(Config{
		Contract:  runtime.Contract{Service: "billing"},
		Transport: InProcess(NewInProcessBus()),
		Store:     store,
		Metrics:   prometheus.NewRegistry(),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	m := runtime.Meta{ID: "event-1", Type: "users.UserRegistered", Version: 1}
	publishes := runtime.EventHandler{Type: m.Type, Version: m.Version, Handle: func(ctx context.Context, _ []byte, _ runtime.Meta) error {
		if err := TxPublisher(ctx).Publish(ctx, message.NewMessage("out-1", nil)); err != nil {
			return err
		}
		return errors.New("fails after publishing")
	}}
	d := &delivery{msg: message.NewMessage(m.ID, nil)}
	if err := s.applyAlone(ctx, d, publishes, m); err == nil {
		t.Fatal("first attempt: want the handler's error")
	}

	// The other copy of the event commits first.
	tx, err := store.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Claim(ctx, "billing", refOf(m)); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	if err := s.applyAlone(ctx, d, publishes, m); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if !d.duplicate {
		t.Fatal("retry: want a duplicate")
	}
	backlog, err := store.(interface {
		Backlog(context.Context) ([]string, error)
	}).Backlog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(backlog) != 0 {
		t.Fatalf("outbox holds %v, published by a rolled-back attempt", backlog)
	}
}

func TestTxPublisherOutsideHandler(t *testing.T) {
	ctx := context.Background()
	err := TxPublisher(ctx).Publish(ctx, message.NewMessage("out-1", nil))
	if !errors.Is(err, ErrNotInHandler) {
		t.Fatalf("err = %v, want ErrNotInHandler", err)
	}
	if Tx(ctx) != nil {
		t.Fatal("Tx outside a handler is not nil")
	}
}
