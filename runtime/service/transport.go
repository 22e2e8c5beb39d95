package service

import (
	"context"
	"log/slog"

	"github.com/ThreeDotsLabs/watermill/message"
	"go.opentelemetry.io/otel/trace"

	"github.com/evgenhq/evgen/runtime/transport"
)

// Transport carries a service's events: AMQP for RabbitMQ, InProcess for
// tests and demos, or any transport.Transport (runtime/transport/pubsub
// over a Watermill Pub/Sub, runtime/transport/jetstream over NATS).
type Transport = transport.Transport

// ownTransport is a transport of the engine's own (AMQP, InProcess): it
// binds with the whole of the service's config, which transport.Env does
// not carry (queue types, cluster placement, the event log), and offers
// what sync and resync need. New binds these through bind, not Bind.
type ownTransport interface {
	bind(env transportEnv) (binding, error)
}

// transportEnv is what a transport needs to know about the service it
// carries events for.
type transportEnv struct {
	service  string
	names    names
	plan     TopologyPlan
	cfg      Config
	log      *slog.Logger
	consumer consumerInfo
}

// consumerInfo is the queue a service consumes from, when it consumes.
type consumerInfo struct {
	queue, deadLetterQueue string
	prefetch               int
}

// binding is a transport bound to one service.
type binding interface {
	// publish sends msgs and returns once the transport accepted them all
	// (for AMQP: confirmed by the broker).
	publish(ctx context.Context, msgs []*message.Message) error
	// consume connects (retrying until ctx ends), declares the topology,
	// calls ready once the topology is declared and the consumer started
	// (the first time), and sends deliveries to out until ctx ends. It then
	// stops the consumer, closes out, calls drain, which returns once the
	// worker settled what it holds or gave up on it (so in-flight
	// deliveries can still be acked), and releases its connection, which
	// puts whatever is still unacked back on the queue.
	consume(ctx context.Context, out chan<- *delivery, drain func(), ready func()) error
	// close releases what publish opened.
	close() error
}

// Delivery is one event a transport took from the service's queue; see
// transport.Delivery.
type Delivery = transport.Delivery

// AckThrougher is a Delivery that acks every earlier delivery of its
// channel with it; see transport.AckThrougher.
type AckThrougher = transport.AckThrougher

// AckDeferrer is a Delivery whose ack can wait to go with a later one; see
// transport.AckDeferrer.
type AckDeferrer = transport.AckDeferrer

// Unreadable is a Delivery that may not be a readable event: ReadError
// says why not (nil when it is), and the engine dead-letters it with that
// reason, without calling a handler.
type Unreadable interface {
	ReadError() error
}

// UserIdentified is a Delivery whose transport says which broker user
// published it (AMQP's user-id property, which RabbitMQ checks against
// the publishing connection's user); "" when the publisher did not say.
// The engine checks it when Config.PublisherUsers.Verify is set.
type UserIdentified interface {
	UserID() string
}

// delivery is a Delivery as the worker holds it.
type delivery struct {
	Delivery
	msg *message.Message
	// duplicate is set when the inbox found the event applied before.
	duplicate bool
	// superseded is set when an event of its key as new or newer was
	// applied before: it is stale, and its handler did not run (order.go).
	superseded *placed
	// scope is the handler scope of the latest attempt.
	scope *scope
	// span is the process span of the latest attempt, for the settle span.
	span trace.SpanContext
}

func newDelivery(d Delivery) *delivery { return &delivery{Delivery: d, msg: d.Message()} }
