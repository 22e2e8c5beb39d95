package jetstream

import (
	"context"
	"errors"
	"fmt"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/evgenhq/evgen/runtime"
)

// logDelivery is one event read from a producer's stream by Sync. The
// read takes no acks (a stream keeps its events whatever a reader does),
// so Ack only lets the engine go on, and Nack has nothing to put back.
type logDelivery struct {
	msg   *message.Message
	topic string
	b     *binding
}

// errNoLogNack is a log delivery's Nack: the engine dead-letters instead.
var errNoLogNack = errors.New("an event read from a stream cannot be nacked: the stream keeps it")

// Message is the event as read from the stream.
func (d *logDelivery) Message() *message.Message { return d.msg }

// Exchange is the producer's topic, recorded on a dead-lettered copy.
func (d *logDelivery) Exchange() string { return d.topic }

// RoutingKey is the event's "<type>.v<version>".
func (d *logDelivery) RoutingKey() string {
	return d.msg.Metadata.Get(runtime.HeaderType) + ".v" + d.msg.Metadata.Get(runtime.HeaderEventVersion)
}

// Ack lets the read go on; there is nothing to tell the server.
func (d *logDelivery) Ack() error { return nil }

// Nack fails: there is nothing to put back.
func (d *logDelivery) Nack(bool) error { return errNoLogNack }

// Stale is false: a read's events stay valid until the read ends.
func (d *logDelivery) Stale() bool { return false }

// DeadLetter publishes a copy with headers added to the service's
// dead-letter topic, as a live delivery does; JetStream has stored it
// once Publish returns.
func (d *logDelivery) DeadLetter(_ context.Context, headers map[string]string) error {
	dead := d.msg.Copy()
	for k, v := range headers {
		dead.Metadata.Set(k, v)
	}
	if err := d.b.cfg.Publisher.Publish(d.b.dlq, dead); err != nil {
		return fmt.Errorf("publish to dead-letter topic %s: %w", d.b.dlq, err)
	}
	return nil
}
