package runtime

import (
	"context"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
)

// Publisher sends encoded events. The broker, an outbox transaction and the
// in-process transport all implement it; generated publishers work over any.
// Publish returns nil only once the messages are durably accepted: confirmed
// by the broker, or written in the caller's transaction.
type Publisher interface {
	Publish(ctx context.Context, msgs ...*message.Message) error
}

// PublishOption adjusts one Publish call.
type PublishOption func(*publishOptions)

type publishOptions struct {
	id            string
	at            time.Time
	correlationID string
}

// WithID sets the event ID instead of a fresh UUIDv7: a caller that retries
// a publish with the same ID lets consumers' inboxes drop the duplicate.
func WithID(id string) PublishOption {
	return func(o *publishOptions) { o.id = id }
}

// WithTime sets the event time instead of now.
func WithTime(t time.Time) PublishOption {
	return func(o *publishOptions) { o.at = t }
}

// WithCorrelationID starts or joins a conversation explicitly. Inside a
// handler the incoming event's correlation ID is used without this option.
func WithCorrelationID(id string) PublishOption {
	return func(o *publishOptions) { o.correlationID = id }
}
