package service

import (
	"fmt"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/store"
)

// metaFromMessage reads the event metadata a handler gets from msg. The
// type and version are required to dispatch; a missing or malformed time
// is tolerated (zero) because it does not change what the handler does.
func metaFromMessage(msg *message.Message, attempt int) (runtime.Meta, error) {
	md := msg.Metadata
	m := runtime.Meta{
		ID:            msg.UUID,
		Type:          md.Get(runtime.HeaderType),
		Source:        md.Get(runtime.HeaderSource),
		Subject:       md.Get(runtime.HeaderSubject),
		CorrelationID: md.Get(runtime.HeaderCorrelationID),
		CausationID:   md.Get(runtime.HeaderCausationID),
		Attempt:       attempt,
	}
	if m.ID == "" {
		return m, fmt.Errorf("event has no ID (AMQP message-id or %s)", runtime.HeaderID)
	}
	if m.Type == "" {
		return m, fmt.Errorf("event %s has no type (%s)", m.ID, runtime.HeaderType)
	}
	v, err := strconv.Atoi(md.Get(runtime.HeaderEventVersion))
	if err != nil || v < 1 {
		return m, fmt.Errorf("event %s: header %s = %q is not a version >= 1", m.ID, runtime.HeaderEventVersion, md.Get(runtime.HeaderEventVersion))
	}
	m.Version = v
	if t, err := time.Parse(time.RFC3339Nano, md.Get(runtime.HeaderTime)); err == nil {
		m.Time = t
	}
	if m.Source == "" {
		m.Source = runtime.ProducerOf(m.Type)
	}
	return m, nil
}

// ref is the event's inbox key. The producer is the one its type names,
// not the source header: the type is what routed the event here, and the
// contract fixes which producer publishes it.
func refOf(m runtime.Meta) store.EventRef {
	return store.EventRef{Producer: runtime.ProducerOf(m.Type), ID: m.ID}
}
