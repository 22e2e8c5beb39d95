package service

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync/atomic"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"
)

// consume connects, declares the topology and feeds out until ctx ends,
// reconnecting after the connection or channel is lost. Topology errors the
// broker will keep returning (a queue declared with other arguments, access
// refused) stop it with an error.
func (b *amqpBinding) consume(ctx context.Context, out chan<- *delivery, drain func(), ready func()) error {
	var conn *amqp.Connection
	// On the way out, stop feeding the worker and let it finish the
	// deliveries it holds (their acks need the channel) before closing.
	defer func() {
		close(out)
		drain()
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
		sess, err := b.open(conn)
		if err != nil {
			if permanentAMQPError(err) {
				return refused(err)
			}
			b.env.log.Warn("open consumer failed, reconnecting", "err", err)
			conn.Close()
			if !sleep(ctx, b.env.cfg.Connect.delay(attempt)) {
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
			b.env.log.Info("reconnecting the consumer after moving an older version's queue, or to move it")
		} else {
			b.env.log.Warn("lost the consumer connection to RabbitMQ, reconnecting")
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
	b          *amqpBinding
	ch         *amqp.Channel
	tag        string
	deliveries <-chan amqp.Delivery // nil for a service that only publishes
	lost       <-chan *amqp.Error
	dead       atomic.Bool
	// migration is the move of an older version's queue this session
	// consumes instead of the service's queue (queue_migration.go); nil
	// when it consumes the service's queue. restart is set when the
	// session is ended on purpose, to move the old queue.
	migration *queueMigration
	restart   atomic.Bool
}

// open declares the topology and starts consuming on a new channel.
func (b *amqpBinding) open(conn *amqp.Connection) (*consumerSession, error) {
	ch, err := conn.Channel()
	if err != nil {
		return nil, fmt.Errorf("open channel: %w", err)
	}
	if err := declare(ch, b.env.plan); err != nil {
		return nil, err
	}
	s := &consumerSession{b: b, ch: ch, lost: conn.NotifyClose(make(chan *amqp.Error, 1))}
	if b.env.consumer.queue == "" {
		return s, nil
	}
	if err := ch.Qos(b.env.consumer.prefetch, 0, false); err != nil {
		return nil, fmt.Errorf("set prefetch: %w", err)
	}
	m, watch, err := b.openMigration(conn)
	if err != nil {
		return nil, err
	}
	if m != nil {
		s.ch, s.tag, s.deliveries, s.migration = m.ch, m.tag, m.out, m
		return s, nil
	}
	s.tag = b.env.service + "-" + uuid.NewString()
	s.deliveries, err = ch.Consume(b.env.consumer.queue, s.tag, false, false, false, false, nil)
	if err != nil {
		return nil, fmt.Errorf("consume queue %q: %w", b.env.consumer.queue, err)
	}
	if watch {
		go b.watchOldQueue(conn, s)
	}
	return s, nil
}

// pump hands deliveries to out. It returns false when ctx ended and true
// when the channel or connection was lost.
func (s *consumerSession) pump(ctx context.Context, out chan<- *delivery) bool {
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
		s.b.env.log.Warn("cancel consumer", "err", err)
	}
}

// wrap turns an AMQP delivery into the worker's delivery.
func (s *consumerSession) wrap(d amqp.Delivery) *delivery {
	msg, err := Marshaler{}.Unmarshal(d)
	a := &amqpDelivery{d: d, msg: msg, s: s, readErr: err}
	if s.migration != nil {
		return newDelivery(movedDelivery{a, s.migration})
	}
	return newDelivery(a)
}

// amqpDelivery is one delivery from the service's queue; its methods
// settle it on the channel it came on.
type amqpDelivery struct {
	d       amqp.Delivery
	msg     *message.Message
	s       *consumerSession
	readErr error // why msg is not a readable event; nil when it is
}

func (a *amqpDelivery) Message() *message.Message { return a.msg }
func (a *amqpDelivery) Exchange() string          { return a.d.Exchange }
func (a *amqpDelivery) RoutingKey() string        { return a.d.RoutingKey }
func (a *amqpDelivery) Ack() error                { return a.d.Ack(false) }
func (a *amqpDelivery) AckThrough() error         { return a.d.Ack(true) }
func (a *amqpDelivery) Nack(requeue bool) error   { return a.d.Nack(false, requeue) }
func (a *amqpDelivery) Stale() bool               { return a.s.dead.Load() }
func (a *amqpDelivery) ReadError() error          { return a.readErr }
func (a *amqpDelivery) UserID() string            { return a.d.UserId }

// DeadLetter sends a copy to the service's dead-letter queue with
// publisher confirms.
func (a *amqpDelivery) DeadLetter(ctx context.Context, headers map[string]string) error {
	dlq := a.s.b.env.consumer.deadLetterQueue
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
