package runtime

import (
	"fmt"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
)

// metaFromMessage reads the event metadata a handler gets from msg. The
// type and version are required to dispatch; a missing or malformed time
// is tolerated (zero) because it does not change what the handler does.
func metaFromMessage(msg *message.Message, attempt int) (Meta, error) {
	md := msg.Metadata
	m := Meta{
		ID:            msg.UUID,
		Type:          md.Get(HeaderType),
		Source:        md.Get(HeaderSource),
		Subject:       md.Get(HeaderSubject),
		CorrelationID: md.Get(HeaderCorrelationID),
		CausationID:   md.Get(HeaderCausationID),
		Attempt:       attempt,
	}
	if m.ID == "" {
		return m, fmt.Errorf("event has no ID (AMQP message-id or %s)", HeaderID)
	}
	if m.Type == "" {
		return m, fmt.Errorf("event %s has no type (%s)", m.ID, HeaderType)
	}
	v, err := strconv.Atoi(md.Get(HeaderEventVersion))
	if err != nil || v < 1 {
		return m, fmt.Errorf("event %s: header %s = %q is not a version >= 1", m.ID, HeaderEventVersion, md.Get(HeaderEventVersion))
	}
	m.Version = v
	if t, err := time.Parse(time.RFC3339Nano, md.Get(HeaderTime)); err == nil {
		m.Time = t
	}
	if m.Source == "" {
		m.Source = ProducerOf(m.Type)
	}
	return m, nil
}

// ref is the event's inbox key. The producer is the one its type names,
// not the source header: the type is what routed the event here, and the
// contract fixes which producer publishes it.
func refOf(m Meta) EventRef { return EventRef{Producer: ProducerOf(m.Type), ID: m.ID} }
