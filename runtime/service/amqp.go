package service

import (
	"fmt"
	"log/slog"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// AMQP returns the RabbitMQ transport for the broker at urls
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
func AMQP(urls ...string) Transport { return amqpTransport{urls: urls} }

type amqpTransport struct{ urls []string }

func (t amqpTransport) bind(env transportEnv) (binding, error) {
	nodes, err := parseNodes(t.urls)
	if err != nil {
		return nil, err
	}
	b := &amqpBinding{nodes: nodes, env: env, next: map[string]int{}}
	b.pub = newConfirmPublisher(b.dial, env)
	return b, nil
}

// amqpBinding keeps two connections, as RabbitMQ advises: one to publish
// (which the broker may block under memory pressure) and one to consume.
type amqpBinding struct {
	nodes []brokerNode
	env   transportEnv
	pub   *confirmPublisher

	mu   sync.Mutex
	next map[string]int // by role: the node its next dial tries first
}

func (b *amqpBinding) close() error { return b.pub.close() }

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
func declare(ch *amqp.Channel, plan TopologyPlan) error {
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

// queueArgs sets the queue type only for quorum queues and streams: a
// classic queue declared without the argument stays compatible with older
// declarations. Replica counts and the leader locator are set only when
// asked for, for the same reason. Rejected deliveries fall into the
// dead-letter queue instead of vanishing.
func queueArgs(q QueueSpec) amqp.Table {
	args := amqp.Table{}
	switch q.Type {
	case QuorumQueue:
		args["x-queue-type"] = string(QuorumQueue)
		if q.Replicas > 0 {
			args["x-quorum-initial-group-size"] = int32(q.Replicas)
		}
	case StreamQueue:
		args["x-queue-type"] = string(StreamQueue)
		args["x-max-age"] = fmt.Sprintf("%ds", int64(q.MaxAge/time.Second))
		args["x-max-length-bytes"] = q.MaxBytes
		if q.Replicas > 0 {
			args["x-initial-cluster-size"] = int32(q.Replicas)
		}
	}
	if q.LeaderLocator != "" && q.LeaderLocator != LeadersBrokerDefault {
		args["x-queue-leader-locator"] = string(q.LeaderLocator)
	}
	if q.DeadLetterTo != "" {
		args["x-dead-letter-exchange"] = ""
		args["x-dead-letter-routing-key"] = q.DeadLetterTo
	}
	return args
}
