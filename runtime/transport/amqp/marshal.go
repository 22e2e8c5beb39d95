package amqp

import (
	"fmt"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/evgenhq/evgen/runtime"
	amqp "github.com/rabbitmq/amqp091-go"
)

// Marshaler converts between Watermill messages built by Publish and AMQP
// publishings, following the wire mapping in docs/runtime.md. It
// implements watermill-amqp's Marshaler interface, so a plain watermill-amqp
// subscriber can read evgen events too.
//
// watermill-amqp's DefaultMarshaler is not used because it never sets the
// AMQP message-id (it hides the ID in a header of its own) and fails on any
// header that is not a string, which RabbitMQ itself adds (x-death,
// x-delivery-count, x-stream-offset): the consumer would nack the event in
// a loop. Unmarshal here accepts any header type.
type Marshaler struct{}

// Marshal builds the publishing for msg: message-id is the event ID,
// content-type application/json, type the event type, timestamp the event
// time, persistent delivery; every metadata entry becomes a header.
func (Marshaler) Marshal(msg *message.Message) (amqp.Publishing, error) {
	headers := make(amqp.Table, len(msg.Metadata))
	for k, v := range msg.Metadata {
		headers[k] = v
	}
	p := amqp.Publishing{
		Headers:      headers,
		ContentType:  runtime.ContentType,
		DeliveryMode: amqp.Persistent,
		MessageId:    msg.UUID,
		Type:         msg.Metadata.Get(runtime.HeaderType),
		Body:         msg.Payload,
	}
	if ts := msg.Metadata.Get(runtime.HeaderTime); ts != "" {
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			return amqp.Publishing{}, fmt.Errorf("marshal message %s: header %s: %w", msg.UUID, runtime.HeaderTime, err)
		}
		p.Timestamp = t
	}
	return p, nil
}

// Unmarshal builds a Watermill message from d, reading the CloudEvents
// attributes in any of the shapes cloudevents.go lists into
// runtime's "cloudEvents:" metadata keys, and the AMQP content-type into
// runtime.HeaderDataContentType. Other headers of any type become
// metadata too: strings as they are, numbers and booleans formatted,
// tables and arrays (x-death) with fmt, so that RabbitMQ's own headers
// never make a delivery unreadable. The error says why the delivery is
// not a readable event (an attribute of a type CloudEvents does not
// allow, two prefixes in one message, a structured event that is not
// JSON); the message is returned then too, as far as it could be read.
func (Marshaler) Unmarshal(d amqp.Delivery) (*message.Message, error) {
	return readEvent(d)
}

// HeaderString formats an AMQP header value of any type as text, as the
// Marshaler does for the metadata of a delivered event.
func HeaderString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []byte:
		return string(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case int32:
		return strconv.FormatInt(int64(v), 10)
	case int16:
		return strconv.FormatInt(int64(v), 10)
	case int8:
		return strconv.FormatInt(int64(v), 10)
	case int:
		return strconv.Itoa(v)
	case bool:
		return strconv.FormatBool(v)
	case time.Time:
		return v.UTC().Format(time.RFC3339Nano)
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}
