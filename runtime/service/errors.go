package service

import (
	"errors"

	"github.com/evgenhq/evgen/runtime/transport"
)

// ErrUnroutable is returned by a broker Publish when RabbitMQ returned the
// event because no queue is bound to its routing key: the event was not
// stored anywhere, so reporting success would lose it. Declare consumers'
// queues (start the consuming service once, or use the event log of the
// recovery tooling) before publishing, or treat the error as "nobody
// subscribes to this event yet". It is transport.ErrUnroutable.
var ErrUnroutable = transport.ErrUnroutable

// ErrNoResync is wrapped in RequestResync's error when the transport
// cannot send to one queue (it is no transport.QueueSender, as the
// in-process one): resync requests and answers travel that way.
var ErrNoResync = errors.New("the transport cannot carry resync requests: it sends to no single queue (transport.QueueSender); service.AMQP does")

// ErrNotInHandler is returned by the Publisher from TxPublisher when it is
// used outside a handler, where there is no inbox transaction to write to.
var ErrNotInHandler = errors.New("runtime: TxPublisher used outside a handler")

// ErrBrokerBlocked is wrapped in the error of a broker Publish whose
// deadline passed while RabbitMQ blocked the publisher connection (a memory
// or disk alarm: the broker stops reading from publishing connections until
// the alarm clears). The error names the broker's reason. The event may
// still be routed once the broker reads again, so retry with the same ID,
// which consumers' inboxes deduplicate; free memory or disk on the broker
// (see its logs and `rabbitmqctl status`) to end the alarm.
var ErrBrokerBlocked = errors.New("RabbitMQ is blocking publishers")
