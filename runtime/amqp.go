package runtime

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// AMQP returns the RabbitMQ transport for the broker at url
// ("amqp://guest:guest@127.0.0.1:5672/").
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
func AMQP(url string) Transport { return amqpTransport{url: url} }

type amqpTransport struct{ url string }

func (t amqpTransport) bind(env transportEnv) (binding, error) {
	if _, err := amqp.ParseURI(t.url); err != nil {
		return nil, fmt.Errorf("AMQP URL: %w", err)
	}
	b := &amqpBinding{url: t.url, env: env}
	b.pub = newConfirmPublisher(b.dial, env)
	return b, nil
}

// amqpBinding keeps two connections, as RabbitMQ advises: one to publish
// (which the broker may block under memory pressure) and one to consume.
type amqpBinding struct {
	url string
	env transportEnv
	pub *confirmPublisher
}

func (b *amqpBinding) close() error { return b.pub.close() }

// dial connects, retrying with backoff until ctx ends: also the first
// connection, since the broker may start after the service.
func (b *amqpBinding) dial(ctx context.Context, role string) (*amqp.Connection, error) {
	cfg := amqp.Config{
		Properties: amqp.Table{"connection_name": b.env.service + " " + role},
		Heartbeat:  10 * time.Second,
		Dial:       amqp.DefaultDial(5 * time.Second),
	}
	for attempt := 1; ; attempt++ {
		conn, err := amqp.DialConfig(b.url, cfg)
		if err == nil {
			if attempt > 1 {
				b.env.log.Info("connected to RabbitMQ", "role", role, "attempts", attempt)
			}
			return conn, nil
		}
		wait := b.env.cfg.Connect.delay(attempt)
		b.env.log.Log(ctx, levelForAttempt(attempt), "connect to RabbitMQ failed, retrying", "role", role, "attempt", attempt, "retry_in", wait, "err", err)
		if !sleep(ctx, wait) {
			return nil, fmt.Errorf("connect to RabbitMQ (%d attempts, last error: %v): %w", attempt, err, ctx.Err())
		}
	}
}

// levelForAttempt keeps a broker that is briefly away from flooding logs
// with errors: the first failures are warnings.
func levelForAttempt(attempt int) slog.Level {
	if attempt < 5 {
		return slog.LevelWarn
	}
	return slog.LevelError
}

// declare declares plan on ch. Every call declares the same durable
// entities with the same arguments, so it is idempotent.
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
// declarations. Rejected deliveries fall into the dead-letter queue instead
// of vanishing.
func queueArgs(q QueueSpec) amqp.Table {
	args := amqp.Table{}
	switch q.Type {
	case QuorumQueue:
		args["x-queue-type"] = string(QuorumQueue)
	case StreamQueue:
		args["x-queue-type"] = string(StreamQueue)
		args["x-max-age"] = fmt.Sprintf("%ds", int64(q.MaxAge/time.Second))
		args["x-max-length-bytes"] = q.MaxBytes
	}
	if q.DeadLetterTo != "" {
		args["x-dead-letter-exchange"] = ""
		args["x-dead-letter-routing-key"] = q.DeadLetterTo
	}
	return args
}
