package service

import (
	"context"
	"log/slog"

	"github.com/ThreeDotsLabs/watermill/message"
	"go.opentelemetry.io/otel/trace"
)

// Transport carries a service's events: AMQP for RabbitMQ, InProcess for
// tests and demos. Its methods are unexported: a Service is the only user.
type Transport interface {
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

// Delivery is one event a transport took from the service's queue. The
// engine settles it once: Ack, Nack, or DeadLetter followed by Ack.
type Delivery interface {
	// Message is the event, as the transport decoded it.
	Message() *message.Message
	// Exchange and RoutingKey are where the event was published; a
	// dead-lettered copy records them so that it can be redriven.
	Exchange() string
	RoutingKey() string
	// Ack removes the event from the queue.
	Ack() error
	// Nack(true) puts the event back on the queue.
	Nack(requeue bool) error
	// DeadLetter copies the event, with headers added, into the service's
	// dead-letter queue and returns once that copy is safe; the engine
	// acks afterwards.
	DeadLetter(ctx context.Context, headers map[string]string) error
	// Stale reports that the channel the delivery came on is gone: it can
	// no longer be acked, and the broker redelivers it, so handling it is
	// wasted work.
	Stale() bool
}

// AckThrougher is a Delivery whose transport acks it and every earlier
// delivery of its channel in one frame (AMQP's multiple-ack). Only ordered
// mode uses it: there every earlier delivery is settled already.
type AckThrougher interface {
	AckThrough() error
}

// delivery is a Delivery as the worker holds it.
type delivery struct {
	Delivery
	msg *message.Message
	// duplicate is set when the inbox found the event applied before.
	duplicate bool
	// scope is the handler scope of the latest attempt.
	scope *scope
	// span is the process span of the latest attempt, for the settle span.
	span trace.SpanContext
}

func newDelivery(d Delivery) *delivery { return &delivery{Delivery: d, msg: d.Message()} }
