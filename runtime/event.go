package runtime

import "time"

// Event is implemented by every generated event type.
type Event interface {
	// EventType is the producer-qualified name, such as "users.UserRegistered".
	EventType() string
	// EventVersion is the contract version of the event's schema, at least 1.
	EventVersion() int
	// Validate reports the first field that breaks the contract.
	Validate() error
}

// Keyed is implemented by events whose contract names a key: the entity the
// event is about. The key travels as the CloudEvents subject.
type Keyed interface {
	EventKey() string
}

// Meta describes one delivered event to its handler.
type Meta struct {
	ID            string    // event ID (UUIDv7), the AMQP message-id; stable across redeliveries
	Type          string    // "users.UserRegistered"
	Version       int       // contract version of the payload
	Source        string    // producing service
	Subject       string    // the event's key, "" when the contract names none
	Time          time.Time // when the producer created the event
	CorrelationID string    // the conversation this event belongs to
	CausationID   string    // ID of the event whose handler published this one, "" for a root event
	Attempt       int       // 1 on first delivery, counted up by retries
}
