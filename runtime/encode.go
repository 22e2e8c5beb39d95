package runtime

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"
)

// Publish validates e, encodes it as JSON with its CloudEvents metadata and
// hands it to p. An invalid event is not sent. Inside a handler the event
// joins the incoming event's conversation: its correlation ID is carried
// over and the incoming event becomes its cause, and an event the
// handler's contract does not declare in its emits is counted and logged
// (see reactions.go). The span in ctx, if any, travels with the event as
// its trace context (see trace.go).
func Publish(ctx context.Context, p Publisher, e Event, opts ...PublishOption) error {
	msg, err := NewMessage(ctx, e, opts...)
	if err != nil {
		return err
	}
	if err := p.Publish(ctx, msg); err != nil {
		return fmt.Errorf("publish %s (id %s): %w", e.EventType(), msg.UUID, err)
	}
	if h := HandlingFrom(ctx); h != nil {
		h.Published(ctx, e.EventType())
	}
	return nil
}

// NewMessage builds the Watermill message for e, validated, as Publish
// sends it: payload, ID and CloudEvents metadata. For the engine, which
// sends some events (resync answers) to one queue instead of publishing.
func NewMessage(ctx context.Context, e Event, opts ...PublishOption) (*message.Message, error) {
	typ := e.EventType()
	if err := e.Validate(); err != nil {
		return nil, fmt.Errorf("publish %s: invalid event: %w", typ, err)
	}
	source := ProducerOf(typ)
	if source == "" {
		return nil, fmt.Errorf("publish %s: event type has no producing service (want \"service.Event\")", typ)
	}
	payload, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("publish %s: encode: %w", typ, err)
	}
	o, err := resolveOptions(opts)
	if err != nil {
		return nil, fmt.Errorf("publish %s: %w", typ, err)
	}
	msg := message.NewMessage(o.id, payload)
	md := msg.Metadata
	md[HeaderSpecVersion] = SpecVersion
	md[HeaderID] = o.id
	md[HeaderSource] = source
	md[HeaderType] = typ
	md[HeaderEventVersion] = strconv.Itoa(e.EventVersion())
	md[HeaderTime] = o.at.UTC().Format(time.RFC3339Nano)
	if k, ok := e.(Keyed); ok && k.EventKey() != "" {
		md[HeaderSubject] = k.EventKey()
	}
	setConversation(ctx, md, o)
	InjectTrace(ctx, md) // the span the event is created in: a request's, a handler's
	return msg, nil
}

// resolveOptions applies opts over the defaults: a fresh UUIDv7 and now.
func resolveOptions(opts []PublishOption) (publishOptions, error) {
	var o publishOptions
	for _, opt := range opts {
		opt(&o)
	}
	if o.id == "" {
		id, err := uuid.NewV7()
		if err != nil {
			return o, fmt.Errorf("new event id: %w", err)
		}
		o.id = id.String()
	}
	if o.at.IsZero() {
		o.at = time.Now()
	}
	return o, nil
}

// setConversation sets correlation and causation: explicit option first,
// then the incoming event of the handler ctx belongs to, else the event
// starts its own conversation.
func setConversation(ctx context.Context, md message.Metadata, o publishOptions) {
	corr := o.correlationID
	if in, ok := IncomingMeta(ctx); ok {
		md[HeaderCausationID] = in.ID
		if corr == "" {
			corr = in.CorrelationID
		}
		if corr == "" {
			corr = in.ID
		}
	}
	if corr == "" {
		corr = o.id
	}
	md[HeaderCorrelationID] = corr
}
