package store

import (
	"context"

	"github.com/ThreeDotsLabs/watermill/message"
)

// BatchPublisher is implemented by publishers that send many events at
// once, with their confirms pipelined, and report each event's outcome.
// The relays of the stores in this module send a batch of outbox rows
// through it (the Service implements it), so that relaying costs one
// broker round trip per batch instead of one per event; through any other
// runtime.Publisher they send one event per Publish call, in order.
type BatchPublisher interface {
	// PublishBatch sends msgs in order and returns one error per message:
	// nil once the broker confirmed it, an error marked by
	// runtime.Permanent for one that can never be sent, any other error
	// for one that may be sent again later. It does not retry: the relay
	// sends again what failed, after backoff.
	PublishBatch(ctx context.Context, msgs []*message.Message) []error
}
