// Package amqp is the RabbitMQ transport (AMQP 0-9-1): publishing with
// pipelined confirms, in order for the outbox relay's batches, consuming
// with reconnection across a cluster's nodes, the CloudEvents mapping of
// headers, declaring the topology, moving a queue an older version named
// (queue_migration.go), waiting out a blocked connection, and reading a
// producer's event log (a RabbitMQ stream) for Sync.
//
// Applications pass New(urls...) (or service.AMQP, which forwards to it)
// as service.Config.Transport; only the engine calls Bind. It imports
// runtime and runtime/transport, never the engine.
package amqp

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/evgenhq/evgen/runtime/transport"
)

// New returns the RabbitMQ transport for the broker at urls
// ("amqp://guest:guest@127.0.0.1:5672/"): one URL for a single broker, or
// one per node of a cluster. Each connection (one to publish, one to
// consume, as RabbitMQ advises) goes to the first URL that answers; when
// its node fails it moves to the next URLs in turn, from the one after the
// failed node, without waiting, and backs off only once every URL failed
// (Config.Connect). Give the nodes in a different order to different
// replicas to spread their connections.
//
// It is written on github.com/rabbitmq/amqp091-go rather than on
// watermill-amqp, for three reasons: watermill-amqp's publisher waits for
// each confirm in turn (one round trip per event per channel), so it cannot
// pipeline confirms from many goroutines; it ignores basic.return, so an
// unroutable event is confirmed and lost; and its subscriber hands over one
// message at a time and retries only connections that once succeeded, so
// it allows neither batching deliveries into one inbox transaction nor
// waiting for a broker that starts after the service. Watermill's message
// type, marshaler interface and logger are still used.
func New(urls ...string) *Transport { return &Transport{urls: urls} }

// Transport is the RabbitMQ transport: a transport.Transport whose
// bindings keep each producer's event log in a RabbitMQ stream and send to
// one queue through the default exchange (transport.EventLog,
// QueueSender, QueueConsumer), and publish the outbox relay's batches in
// order on one channel (transport.BatchPublisher).
type Transport struct{ urls []string }

// Bind checks the URLs and env; it does not connect.
func (t *Transport) Bind(env transport.Env) (transport.Binding, error) {
	nodes, err := parseNodes(t.urls)
	if err != nil {
		return nil, fmt.Errorf("amqp: %w", err)
	}
	if err := checkEnv(&env); err != nil {
		return nil, err
	}
	b := &binding{nodes: nodes, env: env, next: map[string]int{}}
	b.pub = newConfirmPublisher(b.dial, env)
	return b, nil
}

// checkEnv refuses an env the engine would never pass, and fills in what
// a caller outside the engine may leave zero.
func checkEnv(env *transport.Env) error {
	if env.Service == "" || env.Names == nil {
		return errors.New("amqp: transport.Env needs Service and Names (service.New fills them in)")
	}
	if env.Logger == nil {
		env.Logger = slog.New(slog.DiscardHandler)
	}
	if env.RetryDelay == nil {
		env.RetryDelay = func(int) time.Duration { return time.Second }
	}
	env.PublisherChannels = max(env.PublisherChannels, 1)
	env.Prefetch = max(env.Prefetch, 1)
	return nil
}

// binding keeps two connections, as RabbitMQ advises: one to publish
// (which the broker may block under memory pressure) and one to consume.
type binding struct {
	nodes []brokerNode
	env   transport.Env
	pub   *confirmPublisher

	mu   sync.Mutex
	next map[string]int // by role: the node its next dial tries first
}

// Close closes the publisher connection.
func (b *binding) Close() error { return b.pub.close() }

// MessagingSystem is "rabbitmq" (transport.MessagingSystem).
func (b *binding) MessagingSystem() string { return "rabbitmq" }

// The binding's capabilities, checked by the compiler.
var (
	_ transport.EventLog        = (*binding)(nil)
	_ transport.MessagingSystem = (*binding)(nil)
	_ transport.QueueSender     = (*binding)(nil)
	_ transport.QueueConsumer   = (*binding)(nil)
	_ transport.BatchPublisher  = (*binding)(nil)
)

// levelForAttempt keeps a broker that is briefly away from flooding logs
// with errors: the first failures are warnings.
func levelForAttempt(attempt int) slog.Level {
	if attempt < 5 {
		return slog.LevelWarn
	}
	return slog.LevelError
}

// declare declares plan on ch. Every call declares the same durable
// entities with the same arguments, so it is idempotent; so is removing
// plan.Unbindings, as RabbitMQ's queue.unbind of a missing binding
// succeeds.
func declare(ch *amqp.Channel, plan transport.TopologyPlan) error {
	for _, e := range plan.Exchanges {
		if err := declareExchange(ch, e.Name); err != nil {
			return err
		}
	}
	for _, q := range plan.Queues {
		if _, err := ch.QueueDeclare(q.Name, true, false, false, false, queueArgs(q)); err != nil {
			return fmt.Errorf("declare queue %q: %w", q.Name, err)
		}
	}
	for _, bd := range plan.Bindings {
		if err := ch.QueueBind(bd.Queue, bd.RoutingKey, bd.Exchange, false, nil); err != nil {
			return fmt.Errorf("bind queue %q to %q with %q: %w", bd.Queue, bd.Exchange, bd.RoutingKey, err)
		}
	}
	for _, bd := range plan.Unbindings {
		if err := ch.QueueUnbind(bd.Queue, bd.RoutingKey, bd.Exchange, nil); err != nil {
			return fmt.Errorf("unbind queue %q from %q with %q (a version the service no longer consumes): %w", bd.Queue, bd.Exchange, bd.RoutingKey, err)
		}
	}
	return nil
}

func declareExchange(ch *amqp.Channel, name string) error {
	if err := ch.ExchangeDeclare(name, amqp.ExchangeTopic, true, false, false, false, nil); err != nil {
		return fmt.Errorf("declare exchange %q: %w", name, err)
	}
	return nil
}

// QueueArguments are the arguments the transport declares q with, for a
// tool that writes definitions the transport's own declarations must match
// (RabbitMQ refuses a queue declared again with other arguments).
func QueueArguments(q transport.QueueSpec) map[string]any { return queueArgs(q) }

// queueArgs sets the queue type only for quorum queues and streams: a
// classic queue declared without the argument stays compatible with older
// declarations. Replica counts and the leader locator are set only when
// asked for, for the same reason. Rejected deliveries fall into the
// dead-letter queue instead of vanishing.
func queueArgs(q transport.QueueSpec) amqp.Table {
	args := amqp.Table{}
	switch q.Type {
	case transport.QuorumQueue:
		args["x-queue-type"] = string(transport.QuorumQueue)
		if q.Replicas > 0 {
			args["x-quorum-initial-group-size"] = int32(q.Replicas)
		}
	case transport.StreamQueue:
		args["x-queue-type"] = string(transport.StreamQueue)
		args["x-max-age"] = fmt.Sprintf("%ds", int64(q.MaxAge/time.Second))
		args["x-max-length-bytes"] = q.MaxBytes
		if q.Replicas > 0 {
			args["x-initial-cluster-size"] = int32(q.Replicas)
		}
	}
	if q.LeaderLocator != "" && q.LeaderLocator != transport.LeadersBrokerDefault {
		args["x-queue-leader-locator"] = string(q.LeaderLocator)
	}
	if q.DeadLetterTo != "" {
		args["x-dead-letter-exchange"] = ""
		args["x-dead-letter-routing-key"] = q.DeadLetterTo
	}
	return args
}
