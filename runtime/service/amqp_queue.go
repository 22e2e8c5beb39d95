package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/ThreeDotsLabs/watermill/message"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/transport"
)

// Sending to one queue and consuming one of the service's own queues: the
// transport.QueueSender and transport.QueueConsumer capabilities, which
// resync requests and answers travel through. A message sent to one queue
// goes through the default exchange, which routes it to the queue of the
// routing key's name and nowhere else.

// SendToQueue publishes msgs to queue through the default exchange and
// waits for their confirms; ErrUnroutable when the queue does not exist.
// The AMQP correlation-id is set from the CloudEvents correlation ID, as
// resync requests have always carried it.
func (b *amqpBinding) SendToQueue(ctx context.Context, queue string, msgs []*message.Message) error {
	out := make([]outgoing, len(msgs))
	for i, msg := range msgs {
		pub, err := Marshaler{}.Marshal(msg)
		if err != nil {
			return runtime.Permanent(err) // the same metadata fails the same way every time
		}
		pub.CorrelationId = msg.Metadata.Get(runtime.HeaderCorrelationID)
		out[i] = outgoing{exchange: "", key: queue, pub: pub}
	}
	return b.pub.send(ctx, out)
}

// ConsumeQueue declares queue as the service's topology plan gives it and
// hands its deliveries to handle one at a time (prefetch 1), on a
// connection of its own named "<service> resync", after the one queue it
// consumes today.
func (b *amqpBinding) ConsumeQueue(ctx context.Context, queue string, handle func(context.Context, transport.Delivery)) error {
	spec, ok := b.queueSpec(queue)
	if !ok {
		return fmt.Errorf("queue %q is not one of the service's topology", queue)
	}
	conn, err := b.dial(ctx, "resync")
	if err != nil {
		return err
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("open channel: %w", err)
	}
	if _, err := ch.QueueDeclare(spec.Name, true, false, false, false, queueArgs(spec)); err != nil {
		return fmt.Errorf("declare queue %q: %w", spec.Name, err)
	}
	if err := ch.Qos(1, 0, false); err != nil {
		return fmt.Errorf("set prefetch: %w", err)
	}
	deliveries, err := ch.Consume(spec.Name, "", false, false, false, false, nil)
	if err != nil {
		return fmt.Errorf("consume queue %q: %w", spec.Name, err)
	}
	s := &consumerSession{b: b, ch: ch}
	for {
		select {
		case <-ctx.Done():
			return nil
		case d, ok := <-deliveries:
			if !ok {
				s.dead.Store(true)
				return errors.New("queue " + spec.Name + ": consumer closed")
			}
			handle(ctx, s.delivery(d))
		}
	}
}

// queueSpec is the spec of the named queue in the service's plan.
func (b *amqpBinding) queueSpec(name string) (QueueSpec, bool) {
	for _, q := range b.env.plan.Queues {
		if q.Name == name {
			return q, true
		}
	}
	return QueueSpec{}, false
}

// delivery is d as a transport.Delivery settled on s's channel.
func (s *consumerSession) delivery(d amqp.Delivery) *amqpDelivery {
	msg, err := Marshaler{}.Unmarshal(d)
	return &amqpDelivery{d: d, msg: msg, s: s, readErr: err}
}

// The AMQP binding's capabilities, checked by the compiler.
var (
	_ transport.EventLog      = (*amqpBinding)(nil)
	_ transport.QueueSender   = (*amqpBinding)(nil)
	_ transport.QueueConsumer = (*amqpBinding)(nil)
)
