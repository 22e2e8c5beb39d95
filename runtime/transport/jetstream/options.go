package jetstream

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wmnats "github.com/ThreeDotsLabs/watermill-nats/v2/pkg/nats"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats.go"

	"github.com/evgenhq/evgen/runtime/transport/pubsub"
)

// Options tune the JetStream transport; zero fields take the defaults
// documented on each.
type Options struct {
	// AckWait is how long JetStream waits for a delivered event's ack
	// before it delivers the event again; default 30s. Keep it above the
	// longest a handler (with its retries) takes.
	AckWait time.Duration
	// MaxAckPending bounds the events delivered and not yet acked per
	// consumer; default 1, under which the replicas of a service take
	// turns and apply a producer's events in publish order. With more, a
	// replica applies them faster (BenchmarkConsume, over an in-memory
	// inbox: 2.5 and 3.4 times the events per second with 32, in two
	// measurements on a loaded machine; a PostgreSQL inbox's commit
	// bounds both) and in publish order across
	// graceful restarts and SIGKILL, but two replicas work at once and
	// each applies the events it gets while the other applies the ones
	// between: raise it for a service that runs one replica, or whose
	// handlers tolerate reordering.
	MaxAckPending int
	// NakDelay is how long the subscriber waits before it passes on the
	// nack of an event (one the service took while stopping and still
	// subscribed, or one its dead-letter subject would not take), holding
	// the events after it back meanwhile; default 100ms, so that a
	// stopping replica is not handed the same event in a tight loop. The
	// nack itself asks for redelivery at once: JetStream redelivers
	// nacked events in the order their naks became due, and delayed naks
	// would let newer events overtake older ones.
	NakDelay time.Duration
	// MaxAge is how long the streams keep events; default 7 days, as the
	// RabbitMQ event log.
	MaxAge time.Duration
	// DeadLetterTopic returns the subject a service's dead letters go to;
	// nil means pubsub.DefaultDeadLetterTopic.
	DeadLetterTopic func(namespace, service string) string
	// NATS are extra options for the connections (credentials, TLS).
	NATS []nats.Option
}

// Defaults of Options.
const (
	DefaultAckWait       = 30 * time.Second
	DefaultMaxAckPending = 1
	DefaultMaxAge        = 7 * 24 * time.Hour
	DefaultNakDelay      = 100 * time.Millisecond
)

func (o *Options) setDefaults() {
	if o.AckWait <= 0 {
		o.AckWait = DefaultAckWait
	}
	if o.MaxAckPending <= 0 {
		o.MaxAckPending = DefaultMaxAckPending
	}
	if o.MaxAge <= 0 {
		o.MaxAge = DefaultMaxAge
	}
	if o.NakDelay <= 0 {
		o.NakDelay = DefaultNakDelay
	}
}

// StreamName is the JetStream stream that holds topic's events: stream
// names cannot hold dots, subjects can.
func StreamName(topic string) string { return strings.ReplaceAll(topic, ".", "_") }

// durableName is the consumer of group on every stream it reads.
func durableName(group string) string { return strings.ReplaceAll(group, ".", "_") }

// connect opens a connection that, when the server is away, keeps trying
// in the background instead of failing: the service may start before NATS.
func (o Options) connect(url, name string, extra ...nats.Option) (*nats.Conn, error) {
	opts := append([]nats.Option{nats.Name(name), nats.RetryOnFailedConnect(true), nats.MaxReconnects(-1)}, extra...)
	opts = append(opts, o.NATS...)
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("NATS at %s: %w", url, err)
	}
	return nc, nil
}

// config builds the Watermill Pub/Sub pair of service on the server at url,
// and returns it with the JetStream context of the publisher's connection,
// which the event log reads through too. o must have its defaults set.
func (o Options) config(url, service string, log *slog.Logger) (pubsub.Config, nats.JetStreamContext, error) {
	wlog := watermill.NewSlogLogger(log)
	nc, err := o.connect(url, service+"-publisher")
	if err != nil {
		return pubsub.Config{}, nil, err
	}
	pub, err := wmnats.NewPublisherWithNatsConn(nc, wmnats.PublisherPublishConfig{
		Marshaler:         Marshaler{},
		SubjectCalculator: wmnats.DefaultSubjectCalculator,
		JetStream:         wmnats.JetStreamConfig{TrackMsgId: true},
	}, wlog)
	if err != nil {
		nc.Close()
		return pubsub.Config{}, nil, fmt.Errorf("JetStream publisher: %w", err)
	}
	js, err := nc.JetStream()
	if err != nil {
		nc.Close()
		return pubsub.Config{}, nil, fmt.Errorf("JetStream: %w", err)
	}
	return pubsub.Config{
		Publisher:       pub,
		Subscriber:      func(group string) (message.Subscriber, error) { return o.subscriber(url, group, log) },
		DeadLetterTopic: o.DeadLetterTopic,
		Prepare:         func(ctx context.Context, t pubsub.Topics) error { return o.prepare(ctx, js, t) },
	}, js, nil
}

// subscriber returns a subscriber on a connection of its own whose
// subscriptions share group's durable consumers.
func (o Options) subscriber(url, group string, log *slog.Logger) (message.Subscriber, error) {
	nc, err := o.connect(url, group)
	if err != nil {
		return nil, err
	}
	sub, err := o.newSubscriber(nc, group, log)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("JetStream subscriber for %s: %w", group, err)
	}
	return sub, nil
}

// drainTimeout bounds the wait for a subscription to drain, and for the
// server to confirm the acks and nacks before the connection closes.
const drainTimeout = 5 * time.Second
