package transport

import (
	"context"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
)

// Transport carries a service's events. The engine calls Bind once, from
// service.New, so that what the transport cannot do for that service is an
// error there and not at run time. Bind must not fail because the broker
// is away: Run waits for it.
type Transport interface {
	Bind(env Env) (Binding, error)
}

// Env is what a transport is told about the service it carries events for.
type Env struct {
	// Service is the contract's service name, and Namespace the prefix of
	// every broker name (service.Config.Namespace).
	Service, Namespace string
	// Publishes reports whether the contract publishes events.
	Publishes bool
	// Subscriptions are the producers the service consumes from, sorted,
	// with the routing keys ("<type>.v<version>") it handles of each.
	Subscriptions []Subscription
	// Concurrency is service.Config.Concurrency: 1 for ordered mode, N > 1
	// for batches of up to N.
	Concurrency int
	// Prefetch is how many unacked deliveries the engine takes ahead.
	Prefetch int
	// Logger is the service's logger.
	Logger *slog.Logger
	// RetryDelay is the wait before the attempt-th try to reach the broker
	// (service.Config.Connect), for a transport that retries.
	RetryDelay func(attempt int) time.Duration

	// What a broker with RabbitMQ's model needs besides (the AMQP and
	// in-process transports read it; others may ignore it).

	// Plan is the topology the service declares (service.Topology): its
	// exchanges, queues with their types and cluster placement, bindings.
	Plan TopologyPlan
	// Names gives the engine's broker names of the namespace's exchanges
	// and event logs.
	Names Names
	// Queue and DeadLetterQueue are the queue the service consumes and
	// the one its dead letters go to; "" when it consumes nothing.
	Queue, DeadLetterQueue string
	// OldQueue is the name runtimes before the ".queue" suffix gave Queue
	// (service.OldQueueName); "" when the service consumes nothing. A
	// transport whose broker may still hold a queue of that name consumes
	// its events as it does Queue's, then deletes it (the AMQP transport
	// does, see its queue_migration.go); the engine names it so that
	// naming stays in one place.
	OldQueue string
	// PublisherChannels is how many channels publish at once
	// (service.Config.PublisherChannels), for a transport that pipelines.
	PublisherChannels int
}

// Names are the broker names the engine gives a namespace's exchanges and
// logs (service.ExchangeName, service.EventLogName): the names the
// topology plan holds, so that a transport routes to what was declared.
type Names interface {
	// Exchange is the exchange producer publishes its events to.
	Exchange(producer string) string
	// EventLog is the stream that keeps every event producer publishes.
	EventLog(producer string) string
}

// Subscription is one producer a service consumes from.
type Subscription struct {
	Producer    string
	RoutingKeys []string
}

// Binding is a Transport bound to one service.
type Binding interface {
	// Publish sends msgs, all of the service's own events, and returns
	// once the transport accepted them all.
	Publish(ctx context.Context, msgs []*message.Message) error
	// Consume connects (retrying until ctx ends), calls ready once the
	// service's consumer is in place (events published from then on are
	// kept for it), and sends deliveries to out until ctx ends. It then
	// stops taking deliveries, closes out, calls drain, which returns once
	// the engine settled what it holds (so in-flight deliveries can still
	// be acked), and releases its connections; what was not acked is
	// redelivered. A service that consumes nothing gets no deliveries, but
	// Consume still calls ready and returns once ctx ends.
	Consume(ctx context.Context, out chan<- Delivery, drain func(), ready func()) error
	// Close releases what Publish opened.
	Close() error
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

// Unreadable is a Delivery that may not be a readable event: ReadError
// says why not (nil when it is), and the engine dead-letters it with that
// reason, without calling a handler.
type Unreadable interface {
	ReadError() error
}

// UserIdentified is a Delivery whose transport says which broker user
// published it (AMQP's user-id property, which RabbitMQ checks against
// the publishing connection's user); "" when the publisher did not say.
// The engine checks it when service.Config.PublisherUsers.Verify is set.
type UserIdentified interface {
	UserID() string
}

// BatchPublisher is a Binding that sends a batch of events at once, in
// order, and reports each one's outcome: the outbox relay's batches
// (service.PublishBatch). A Binding that is none gets them one at a time.
type BatchPublisher interface {
	// PublishEach sends msgs in their order and returns when each was
	// accepted or failed; errs[i] is msgs[i]'s outcome. It tries once: the
	// relay sends again what failed.
	PublishEach(ctx context.Context, msgs []*message.Message) (errs []error)
}

// AckThrougher is a Delivery whose transport acks it and every earlier
// delivery of its channel in one frame (AMQP's multiple-ack). Only ordered
// mode uses it: there every earlier delivery is settled already.
type AckThrougher interface {
	AckThrough() error
}

// AckDeferrer is a Delivery whose transport can hold its ack to send it in
// one frame with later ones of its channel (AMQP's multiple-ack, once every
// earlier delivery is settled). Concurrent mode settles a committed batch
// with AckLater for every delivery but the last, and Ack for that one.
type AckDeferrer interface {
	// AckLater settles the delivery as Ack does; the transport sends the
	// ack with a later one, or on its own within milliseconds.
	AckLater() error
}

// MessagingSystem is a Binding that names the messaging system it carries
// events over, as OpenTelemetry's messaging.system attribute of the
// service's spans ("rabbitmq", "nats", "kafka", ...). The engine leaves
// the attribute out for a binding that does not say, or says "", rather
// than name a broker it does not know; it adds RabbitMQ's routing-key
// attribute only for "rabbitmq".
type MessagingSystem interface {
	MessagingSystem() string
}
