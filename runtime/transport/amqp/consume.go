package amqp

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync/atomic"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/evgenhq/evgen/runtime/transport"
)

// Consume connects, declares the topology and feeds out until ctx ends,
// reconnecting after the connection or channel is lost. Topology errors the
// broker will keep returning (a queue declared with other arguments, access
// refused) stop it with an error.
func (b *binding) Consume(ctx context.Context, out chan<- transport.Delivery, drain func(), ready func()) error {
	var conn *amqp.Connection
	var sess *consumerSession
	// On the way out, stop feeding the worker and let it finish the
	// deliveries it holds (their acks need the channel) before closing,
	// and send the acks still held for a multiple-ack.
	defer func() {
		close(out)
		drain()
		if sess != nil {
			sess.acks.flush()
		}
		if conn != nil {
			conn.Close()
		}
	}()
	for attempt := 1; ; attempt++ {
		var err error
		conn, err = b.dial(ctx, "consumer")
		if err != nil {
			return err
		}
		sess, err = b.open(conn)
		if err != nil {
			if permanentAMQPError(err) {
				return refused(err)
			}
			b.env.Logger.Warn("open consumer failed, reconnecting", "err", err)
			conn.Close()
			if !sleep(ctx, b.env.RetryDelay(attempt)) {
				return nil
			}
			continue
		}
		attempt = 0
		ready()
		if !sess.pump(ctx, out) {
			sess.stop()
			return nil
		}
		if sess.migration != nil || sess.restart.Load() {
			b.env.Logger.Info("reconnecting the consumer after moving an older version's queue, or to move it")
		} else {
			b.env.Logger.Warn("lost the consumer connection to RabbitMQ, reconnecting")
		}
		conn.Close()
	}
}

// permanentAMQPError reports errors a reconnection does not cure.
func permanentAMQPError(err error) bool {
	var e *amqp.Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Code == amqp.PreconditionFailed || e.Code == amqp.AccessRefused || e.Code == amqp.NotAllowed
}

// refused explains a topology error the broker will repeat on every
// reconnection, keeping its text (which names the queue and the argument
// that differs).
func refused(err error) error {
	var e *amqp.Error
	if errors.As(err, &e) && e.Code == amqp.PreconditionFailed {
		return fmt.Errorf("RabbitMQ refused the topology, and will on every reconnection: %w; "+
			"a queue keeps the arguments it was first declared with: declare it as Topology() says "+
			"(move its events and delete it, or set Config.QueueType to match)", err)
	}
	return fmt.Errorf("RabbitMQ refused the topology, and will on every reconnection: %w; check the user's permissions on the vhost", err)
}

// consumerSession is one channel consuming the service's queue.
type consumerSession struct {
	b          *binding
	ch         *amqp.Channel
	tag        string
	deliveries <-chan amqp.Delivery // nil for a service that only publishes
	lost       <-chan *amqp.Error
	dead       atomic.Bool
	acks       *channelAcks // every delivery of ch is settled through it
	// migration is the move of an older version's queue this session
	// consumes instead of the service's queue (queue_migration.go); nil
	// when it consumes the service's queue. restart is set when the
	// session is ended on purpose, to move the old queue.
	migration *queueMigration
	restart   atomic.Bool
}

// open declares the topology and starts consuming on a new channel.
func (b *binding) open(conn *amqp.Connection) (*consumerSession, error) {
	ch, err := conn.Channel()
	if err != nil {
		return nil, fmt.Errorf("open channel: %w", err)
	}
	if err := declare(ch, b.env.Plan); err != nil {
		return nil, err
	}
	s := &consumerSession{b: b, ch: ch, lost: conn.NotifyClose(make(chan *amqp.Error, 1)), acks: newChannelAcks(ch.Ack, b.env.Logger)}
	if b.env.Queue == "" {
		return s, nil
	}
	if err := ch.Qos(b.env.Prefetch, 0, false); err != nil {
		return nil, fmt.Errorf("set prefetch: %w", err)
	}
	m, watch, err := b.openMigration(conn)
	if err != nil {
		return nil, err
	}
	if m != nil {
		s.ch, s.tag, s.deliveries, s.acks, s.migration = m.ch, m.tag, m.out, m.acks, m
		return s, nil
	}
	s.tag = b.env.Service + "-" + uuid.NewString()
	s.deliveries, err = ch.Consume(b.env.Queue, s.tag, false, false, false, false, nil)
	if err != nil {
		return nil, fmt.Errorf("consume queue %q: %w", b.env.Queue, err)
	}
	if watch {
		go b.watchOldQueue(conn, s)
	}
	return s, nil
}

// pump hands deliveries to out. It returns false when ctx ended and true
// when the channel or connection was lost.
func (s *consumerSession) pump(ctx context.Context, out chan<- transport.Delivery) bool {
	for {
		select {
		case <-ctx.Done():
			return false
		case <-s.lost:
			s.dead.Store(true)
			return true
		case d, ok := <-s.deliveries:
			if !ok {
				s.dead.Store(true)
				return true
			}
			select {
			case out <- s.wrap(d):
			case <-ctx.Done():
				// Not handed over: the broker requeues it when the
				// channel closes.
				return false
			}
		}
	}
}

// stop cancels the consumer so the broker sends nothing more.
func (s *consumerSession) stop() {
	if s.tag == "" {
		return
	}
	if err := s.ch.Cancel(s.tag, false); err != nil {
		s.b.env.Logger.Warn("cancel consumer", "err", err)
	}
}

// wrap is d as the engine takes it: a delivery from an older version's
// queue counts toward the move (queue_migration.go).
func (s *consumerSession) wrap(d amqp.Delivery) transport.Delivery {
	dl := s.delivery(d)
	if s.migration != nil {
		return movedDelivery{dl, s.migration}
	}
	return dl
}

// delivery is one delivery from the service's queue; its methods
// settle it on the channel it came on.
type delivery struct {
	d       amqp.Delivery
	msg     *message.Message
	s       *consumerSession
	readErr error // why msg is not a readable event; nil when it is
}

func (a *delivery) Message() *message.Message { return a.msg }
func (a *delivery) Exchange() string          { return a.d.Exchange }
func (a *delivery) RoutingKey() string        { return a.d.RoutingKey }
func (a *delivery) Ack() error                { return a.s.acks.ack(a.d.DeliveryTag) }
func (a *delivery) AckLater() error           { return a.s.acks.ackLater(a.d.DeliveryTag) }
func (a *delivery) AckThrough() error         { return a.s.acks.ackThrough(a.d.DeliveryTag) }
func (a *delivery) Nack(requeue bool) error {
	return a.s.acks.nack(a.d.DeliveryTag, func() error { return a.d.Nack(false, requeue) })
}
func (a *delivery) Stale() bool      { return a.s.dead.Load() }
func (a *delivery) ReadError() error { return a.readErr }
func (a *delivery) UserID() string   { return a.d.UserId }

// DeadLetter sends a copy to the service's dead-letter queue with
// publisher confirms.
func (a *delivery) DeadLetter(ctx context.Context, headers map[string]string) error {
	dlq := a.s.b.env.DeadLetterQueue
	return a.s.b.pub.send(ctx, []outgoing{{exchange: "", key: dlq, pub: deadLetterPublishing(a.d, headers)}})
}

// deadLetterPublishing copies d, properties and headers, adding headers.
func deadLetterPublishing(d amqp.Delivery, headers map[string]string) amqp.Publishing {
	h := make(amqp.Table, len(d.Headers)+len(headers))
	maps.Copy(h, d.Headers)
	for k, v := range headers {
		h[k] = v
	}
	// The copy is published by this service's user: RabbitMQ refuses
	// another user-id, so the original one goes into a header.
	if d.UserId != "" {
		h[HeaderDLQUserID] = d.UserId
	}
	return amqp.Publishing{
		Headers:       h,
		ContentType:   d.ContentType,
		DeliveryMode:  amqp.Persistent,
		CorrelationId: d.CorrelationId,
		MessageId:     d.MessageId,
		Timestamp:     d.Timestamp,
		Type:          d.Type,
		AppId:         d.AppId,
		Body:          d.Body,
	}
}
