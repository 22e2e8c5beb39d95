package runtime

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"
)

// capture is a Publisher that keeps what it is given.
type capture struct{ msgs []*message.Message }

func (c *capture) Publish(_ context.Context, msgs ...*message.Message) error {
	c.msgs = append(c.msgs, msgs...)
	return nil
}

func publishOne(t *testing.T, ctx context.Context, e Event, opts ...PublishOption) *message.Message {
	t.Helper()
	var c capture
	if err := Publish(ctx, &c, e, opts...); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if len(c.msgs) != 1 {
		t.Fatalf("published %d messages, want 1", len(c.msgs))
	}
	return c.msgs[0]
}

func TestPublishSetsCloudEventsMetadata(t *testing.T) {
	at := time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)
	msg := publishOne(t, context.Background(), userRegistered{UserID: "u1", Email: "a@b"}, WithTime(at))

	id, err := uuid.Parse(msg.UUID)
	if err != nil || id.Version() != 7 {
		t.Fatalf("event ID %q is not a UUIDv7 (err %v)", msg.UUID, err)
	}
	want := map[string]string{
		HeaderSpecVersion:   "1.0",
		HeaderID:            msg.UUID,
		HeaderSource:        "users",
		HeaderType:          "users.UserRegistered",
		HeaderEventVersion:  "1",
		HeaderTime:          "2024-05-06T07:08:09.123456789Z",
		HeaderSubject:       "u1",
		HeaderCorrelationID: msg.UUID,
	}
	for k, v := range want {
		if got := msg.Metadata.Get(k); got != v {
			t.Errorf("metadata %s = %q, want %q", k, got, v)
		}
	}
	if _, ok := msg.Metadata[HeaderCausationID]; ok {
		t.Errorf("root event has a causation ID %q", msg.Metadata[HeaderCausationID])
	}
	if string(msg.Payload) != `{"user_id":"u1","email":"a@b"}` {
		t.Errorf("payload = %s", msg.Payload)
	}
}

func TestPublishConversation(t *testing.T) {
	in := Meta{ID: "in-1", CorrelationID: "corr-0"}
	inNoCorr := Meta{ID: "in-2"}
	tests := []struct {
		name      string
		ctx       context.Context
		opts      []PublishOption
		wantCorr  string // "self" = the event's own ID
		wantCause string
	}{
		{"root", context.Background(), nil, "self", ""},
		{"root with correlation", context.Background(), []PublishOption{WithCorrelationID("c9")}, "c9", ""},
		{"in handler", WithHandling(context.Background(), handling(in)), nil, "corr-0", "in-1"},
		{"in handler, incoming without correlation", WithHandling(context.Background(), handling(inNoCorr)), nil, "in-2", "in-2"},
		{"in handler, explicit correlation", WithHandling(context.Background(), handling(in)), []PublishOption{WithCorrelationID("c9")}, "c9", "in-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := publishOne(t, tt.ctx, invoicePaid{InvoiceID: "i"}, append(tt.opts, WithID("ev-1"))...)
			want := tt.wantCorr
			if want == "self" {
				want = "ev-1"
			}
			if got := msg.Metadata.Get(HeaderCorrelationID); got != want {
				t.Errorf("correlation = %q, want %q", got, want)
			}
			if got := msg.Metadata.Get(HeaderCausationID); got != tt.wantCause {
				t.Errorf("causation = %q, want %q", got, tt.wantCause)
			}
			if msg.UUID != "ev-1" {
				t.Errorf("ID = %q, want ev-1 from WithID", msg.UUID)
			}
		})
	}
}

func TestPublishRejectsInvalidEvent(t *testing.T) {
	var c capture
	err := Publish(context.Background(), &c, userRegistered{})
	if err == nil || len(c.msgs) != 0 {
		t.Fatalf("invalid event: err %v, sent %d", err, len(c.msgs))
	}
}

type failingPublisher struct{ err error }

func (f failingPublisher) Publish(context.Context, ...*message.Message) error { return f.err }

func TestPublishWrapsPublisherError(t *testing.T) {
	refused := errors.New("refused by the transport")
	err := Publish(context.Background(), failingPublisher{refused}, userRegistered{UserID: "u"})
	if !errors.Is(err, refused) {
		t.Fatalf("err = %v, want it to wrap the publisher's error", err)
	}
}

// handling stands for the engine's handler context: it carries the event
// being handled.
type handling Meta

func (h handling) Incoming() Meta                    { return Meta(h) }
func (h handling) Published(context.Context, string) {}
