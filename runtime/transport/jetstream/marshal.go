package jetstream

import (
	"strings"

	wmnats "github.com/ThreeDotsLabs/watermill-nats/v2/pkg/nats"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats.go"
)

// Marshaler converts between Watermill messages and NATS messages for
// evgen's events: the payload is the body, the message's UUID goes in
// watermill-nats' UUID header (and in Nats-Msg-Id, through which JetStream
// drops a second publish of the same event within its duplicate window),
// and every metadata entry is a header. A NATS header name ends at the
// first colon, so the CloudEvents attributes, which travel as
// "cloudEvents:<attribute>" on AMQP, travel as "ce-<attribute>", as in the
// binary mode of the CloudEvents NATS binding; a line break in a value
// becomes a space. It implements
// watermill-nats' Marshaler and Unmarshaler, so that a hand-written
// watermill-nats subscriber can read evgen events.
type Marshaler struct{}

// Header prefixes of the CloudEvents attributes: evgen's metadata, and the
// NATS binding's headers.
const (
	metadataPrefix = "cloudEvents:"
	headerPrefix   = "ce-"
)

// Marshal turns msg into a NATS message for subject topic.
func (Marshaler) Marshal(topic string, msg *message.Message) (*nats.Msg, error) {
	h := make(nats.Header, len(msg.Metadata)+1)
	h.Set(wmnats.WatermillUUIDHdr, msg.UUID)
	for k, v := range msg.Metadata {
		h.Set(headerName(k), lineBreaks.Replace(v))
	}
	return &nats.Msg{Subject: topic, Data: msg.Payload, Header: h}, nil
}

// lineBreaks become spaces: a NATS header value is one line, and the
// error a panicking handler's event is dead-lettered with holds a stack.
var lineBreaks = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ")

// Unmarshal turns a NATS message into a Watermill message, leaving out the
// headers NATS and watermill-nats reserve. It never fails: watermill-nats
// leaves a message it cannot unmarshal unacked, to be redelivered for
// ever, while the engine dead-letters an event it cannot read. Of a
// header given twice, the first value is kept.
func (Marshaler) Unmarshal(m *nats.Msg) (*message.Message, error) {
	msg := message.NewMessage(m.Header.Get(wmnats.WatermillUUIDHdr), m.Data)
	for k, vs := range m.Header {
		if !reserved(k) && len(vs) > 0 {
			msg.Metadata.Set(metadataKey(k), vs[0])
		}
	}
	return msg, nil
}

func headerName(key string) string {
	if attr, ok := strings.CutPrefix(key, metadataPrefix); ok {
		return headerPrefix + attr
	}
	return key
}

func metadataKey(header string) string {
	if attr, ok := strings.CutPrefix(header, headerPrefix); ok {
		return metadataPrefix + attr
	}
	return header
}

func reserved(header string) bool {
	switch header {
	case wmnats.WatermillUUIDHdr, nats.MsgIdHdr, nats.ExpectedLastMsgIdHdr, nats.ExpectedStreamHdr, nats.ExpectedLastSubjSeqHdr, nats.ExpectedLastSeqHdr:
		return true
	}
	return false
}
