package service

import (
	"context"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
)

// The engine's internal tests publish and consume the same stand-in event
// as the surface's tests (runtime/event_test.go); an internal test cannot
// import another package's test files, so this is a copy.

// userRegistered stands in for a generated event type in the runtime's
// own tests; see testenv.UserRegistered.
type userRegistered = testenv.UserRegistered

// invoicePaid is a second event type, from another producer, with no key.
type invoicePaid struct {
	InvoiceID string `json:"invoice_id"`
	N         int    `json:"n"`
}

func (invoicePaid) EventType() string { return "billing.InvoicePaid" }
func (invoicePaid) EventVersion() int { return 2 }
func (invoicePaid) Validate() error   { return nil }

// capture is a Publisher that keeps what it is given.
type capture struct{ msgs []*message.Message }

func (c *capture) Publish(_ context.Context, msgs ...*message.Message) error {
	c.msgs = append(c.msgs, msgs...)
	return nil
}

func publishOne(t *testing.T, ctx context.Context, e runtime.Event, opts ...runtime.PublishOption) *message.Message {
	t.Helper()
	var c capture
	if err := runtime.Publish(ctx, &c, e, opts...); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if len(c.msgs) != 1 {
		t.Fatalf("published %d messages, want 1", len(c.msgs))
	}
	return c.msgs[0]
}
