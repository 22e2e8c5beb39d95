package pubsub

import (
	"context"
	"errors"
	"fmt"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/evgenhq/evgen/runtime"
)

// delivery is one message of a consumed topic; its methods settle it
// through the Watermill message's Ack and Nack, which the subscriber
// passes on to the Pub/Sub.
type delivery struct {
	msg   *message.Message
	topic string
	b     *binding
}

// Message is the event as the subscriber decoded it.
func (d *delivery) Message() *message.Message { return d.msg }

// Exchange is the topic the event came from, recorded on a dead-lettered
// copy.
func (d *delivery) Exchange() string { return d.topic }

// RoutingKey is the event's "<type>.v<version>".
func (d *delivery) RoutingKey() string {
	v := d.msg.Metadata.Get(runtime.HeaderEventVersion)
	return d.msg.Metadata.Get(runtime.HeaderType) + ".v" + v
}

// Ack tells the subscriber the event is handled.
func (d *delivery) Ack() error {
	if !d.msg.Ack() {
		return fmt.Errorf("ack event %s: it was nacked before", d.msg.UUID)
	}
	return nil
}

// errNoReject is Nack(false)'s answer: Watermill has no way to drop a
// message, and the engine dead-letters through DeadLetter instead.
var errNoReject = errors.New("a Watermill message cannot be rejected without redelivery")

// Nack(true) asks the subscriber to redeliver the event.
func (d *delivery) Nack(requeue bool) error {
	if !requeue {
		return errNoReject
	}
	if !d.msg.Nack() {
		return fmt.Errorf("nack event %s: it was acked before", d.msg.UUID)
	}
	return nil
}

// Stale reports that the subscriber stopped waiting for this message's ack
// (its context ended: an ack deadline passed, or the subscription closed):
// the Pub/Sub redelivers it, so handling it now is wasted work.
func (d *delivery) Stale() bool { return d.msg.Context().Err() != nil }

// DeadLetter publishes a copy with headers added to the service's
// dead-letter topic. Watermill's Publish takes no context: ctx bounds
// nothing the Publisher does not bound itself.
func (d *delivery) DeadLetter(_ context.Context, headers map[string]string) error {
	dead := d.msg.Copy()
	for k, v := range headers {
		dead.Metadata.Set(k, v)
	}
	if err := d.b.cfg.Publisher.Publish(d.b.dlq, dead); err != nil {
		return fmt.Errorf("publish to dead-letter topic %s: %w", d.b.dlq, err)
	}
	return nil
}
