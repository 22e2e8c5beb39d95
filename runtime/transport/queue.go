package transport

import (
	"context"
	"errors"

	"github.com/ThreeDotsLabs/watermill/message"
)

// ErrUnroutable is wrapped in the error of a send the broker returned
// because no queue takes it: a Publish whose routing key no queue is bound
// to, or a SendToQueue to a queue that does not exist. Nothing was stored,
// so reporting success would lose it.
var ErrUnroutable = errors.New("unroutable: no queue is bound to the event's routing key")

// QueueSender is a Binding that sends straight to one named queue, past
// every producer's exchange: no other consumer sees what it sends, and no
// event log keeps it. Service.RequestResync sends its request so to the
// producer's resync queue (service.ResyncQueueName), and the producer its
// answers to the requester's queue (service.QueueName). A Binding that is
// no QueueSender makes RequestResync fail with service.ErrNoResync.
type QueueSender interface {
	// SendToQueue sends msgs to queue and returns once the transport holds
	// them all (for AMQP: confirmed by the broker). It fails with an error
	// wrapping ErrUnroutable when the queue does not exist, and may be
	// retried with the same messages otherwise: consumers' inboxes drop
	// what arrives twice.
	SendToQueue(ctx context.Context, queue string, msgs []*message.Message) error
}

// QueueConsumer is a Binding that consumes one of the service's own queues
// besides the one Consume reads: the queue where a publishing service
// takes resync requests (service.ResyncQueueName), which its topology
// declares. A Binding that is no QueueConsumer answers no resync requests.
type QueueConsumer interface {
	// ConsumeQueue connects, declares queue as the service's topology
	// gives it (so requests sent while the service was down wait there),
	// and calls handle with one delivery at a time, not taking the next
	// before handle returns, until ctx ends (then it returns nil) or the
	// consumer is lost (then an error, and the caller consumes again).
	// handle settles each delivery: Ack, or Nack(true) to put it back.
	ConsumeQueue(ctx context.Context, queue string, handle func(context.Context, Delivery)) error
}
