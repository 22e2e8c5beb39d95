package amqp

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/evgenhq/evgen/runtime"
	amqp "github.com/rabbitmq/amqp091-go"
)

// Reading a CloudEvent from an AMQP 0-9-1 delivery. CloudEvents has no
// binding for AMQP 0-9-1; producers follow the AMQP 1.0 binding (1.0.3),
// whose attribute headers start with "cloudEvents:" or "cloudEvents_"
// (one separator per message), or knative eventing-rabbitmq, which reads
// "ce-" headers and writes the attributes under their bare names
// ("specversion", "type", ...). Either binding puts the whole event in
// the body in structured mode (content-type application/cloudevents+json).
// Whatever the shape, the message the engine gets carries the attributes
// under runtime's "cloudEvents:" names, so that the rest of the engine
// reads one form.

// structuredJSON is the media type of structured mode in the JSON format.
const structuredJSON = "application/cloudevents+json"

// attributePrefixes are the header prefixes CloudEvents attributes may
// come under, matched without regard to case (knative lowercases).
var attributePrefixes = []string{"cloudEvents:", "cloudEvents_", "ce-"}

// bareAttributes are the attributes read under their bare names, as
// knative eventing-rabbitmq writes them, when a bare "specversion" header
// says that the message is such an event.
var bareAttributes = map[string]bool{
	"specversion": true, "id": true, "source": true, "type": true, "time": true, "subject": true,
	"dataschema": true, "eventversion": true, "correlationid": true, "causationid": true,
}

// readEvent builds the message for d. It always returns one, with the ID
// and the headers as far as they could be read, so that an unreadable
// delivery can still be logged and dead-lettered; the error says what
// made it unreadable.
func readEvent(d amqp.Delivery) (*message.Message, error) {
	if !hasPrefixFold(d.ContentType, "application/cloudevents") {
		return readBinary(d)
	}
	mediaType, _, _ := mime.ParseMediaType(d.ContentType)
	return readStructured(d, mediaType)
}

// readBinary reads the attributes from the headers and the payload from
// the body.
func readBinary(d amqp.Delivery) (*message.Message, error) {
	msg := message.NewMessage("", d.Body)
	md := msg.Metadata
	prefix, err := headerPrefix(d.Headers)
	for k, v := range d.Headers {
		name, ok := attributeName(k, prefix)
		if !ok {
			md[k] = HeaderString(v)
			continue
		}
		s, aerr := attributeValue(k, name, v)
		if aerr != nil && err == nil {
			err = aerr
		}
		md[metadataKey(k, name)] = s
	}
	if d.ContentType != "" {
		md[runtime.HeaderDataContentType] = d.ContentType
	}
	if md[runtime.HeaderType] == "" && d.Type != "" {
		md[runtime.HeaderType] = d.Type
	}
	id, idErr := eventID(d.MessageId, md[runtime.HeaderID])
	msg.UUID = id
	if err == nil {
		err = idErr
	}
	return msg, err
}

// noAttributes is headerPrefix's answer for headers that hold no
// CloudEvents attributes: the missing specversion, type and source make
// the event unreadable later, with those names.
const noAttributes = "\x00"

// headerPrefix is the one prefix the headers' attributes come under: ""
// for knative's bare names, which count only beside a bare specversion
// (a header named "id" or "type" alone is nobody's attribute).
func headerPrefix(h amqp.Table) (string, error) {
	found, bare := "", false
	for k := range h {
		bare = bare || strings.EqualFold(k, "specversion")
		for _, p := range attributePrefixes {
			if !hasPrefixFold(k, p) {
				continue
			}
			if found != "" && !strings.EqualFold(found, p) {
				return found, fmt.Errorf("CloudEvents attributes come under two prefixes, %q and %q: a message must use one for all of them (cloudEvents_ or cloudEvents:)", found, p)
			}
			found = p
		}
	}
	if found == "" && !bare {
		return noAttributes, nil
	}
	return found, nil
}

// attributeName is the CloudEvents attribute header k carries, if any.
func attributeName(k, prefix string) (string, bool) {
	switch prefix {
	case noAttributes:
		return "", false
	case "":
		name := strings.ToLower(k)
		return name, bareAttributes[name]
	}
	if !hasPrefixFold(k, prefix) || len(k) == len(prefix) {
		return "", false
	}
	return strings.ToLower(k[len(prefix):]), true
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// ceKey is the metadata key of attribute name.
func ceKey(name string) string { return "cloudEvents:" + name }

// metadataKey is ceKey(name) for the attribute header k: k itself when it
// is that already, as in evgen's own events, which saves building it for
// every attribute of every delivery.
func metadataKey(k, name string) string {
	if len(k) == len("cloudEvents:")+len(name) && strings.HasPrefix(k, "cloudEvents:") && k[len("cloudEvents:"):] == name {
		return k
	}
	return ceKey(name)
}

// attributeValue is the text of attribute name, sent in header k as v.
// The binding allows an attribute's AMQP type or its canonical string;
// evgen also takes any integer type for an integer and a byte array
// holding UTF-8 for a string. Anything else, such as the table a
// JavaScript Date becomes in amqplib, is an error: an attribute is never
// dropped or turned into text nobody sent.
func attributeValue(k, name string, v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case []byte:
		if utf8.Valid(v) {
			return string(v), nil
		}
	case time.Time:
		if name == "time" {
			return v.UTC().Format(time.RFC3339Nano), nil
		}
	case int8, int16, int32, int64, int, uint8, uint16, uint32, uint64:
		if name == "eventversion" || !bareAttributes[name] {
			return HeaderString(v), nil
		}
	case bool:
		if !bareAttributes[name] {
			return HeaderString(v), nil
		}
	}
	return HeaderString(v), fmt.Errorf("header %s is %s, want %s", k, amqpKind(v), wantKind(name))
}

// wantKind says what attribute name may be sent as.
func wantKind(name string) string {
	switch name {
	case "time":
		return "an RFC 3339 string or an AMQP timestamp"
	case "eventversion":
		return "an integer or its decimal string"
	}
	if bareAttributes[name] {
		return "a string"
	}
	return "a string, a number, a boolean or a timestamp"
}

// amqpKind names the AMQP type of a header value as the error shows it.
func amqpKind(v any) string {
	switch v := v.(type) {
	case amqp.Table:
		return fmt.Sprintf("an AMQP table (%v; a JavaScript Date sent as a header arrives so)", v)
	case []any:
		return "an AMQP array"
	case nil:
		return "void"
	case []byte:
		return "a byte array that is not UTF-8"
	}
	return fmt.Sprintf("%T (%v)", v, v)
}

// eventID is the event ID: the CloudEvents id, or the AMQP message-id of
// a producer that set only that. Both set and different is an error:
// the inbox would not know which to deduplicate by.
func eventID(messageID, ceID string) (string, error) {
	switch {
	case ceID == "":
		return messageID, nil
	case messageID != "" && messageID != ceID:
		return ceID, fmt.Errorf("AMQP message-id %q and the CloudEvents id %q differ: set them equal, or set only the id", messageID, ceID)
	}
	return ceID, nil
}

// readStructured reads an event in structured mode: attributes and data
// in the body, in the JSON event format. Headers that are not attributes
// (x-death) are kept; attribute headers are not read, the body wins.
func readStructured(d amqp.Delivery, mediaType string) (*message.Message, error) {
	md := message.Metadata{}
	for k, v := range d.Headers {
		if p, _ := headerPrefix(amqp.Table{k: v}); p == noAttributes {
			md[k] = HeaderString(v)
		}
	}
	fallback := func(err error) (*message.Message, error) {
		msg := message.NewMessage(d.MessageId, d.Body)
		msg.Metadata = md
		return msg, err
	}
	if mediaType != structuredJSON {
		return fallback(fmt.Errorf("content-type %q: evgen reads structured CloudEvents in the JSON format (%s) only, one event per message; send that, or binary mode", d.ContentType, structuredJSON))
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(d.Body, &obj); err != nil {
		return fallback(fmt.Errorf("structured CloudEvent: the body is not a JSON object: %w", err))
	}
	payload, err := structuredData(obj)
	if err != nil {
		return fallback(err)
	}
	for name, raw := range obj {
		if name == "data" || name == "data_base64" {
			continue
		}
		s, err := jsonAttribute(name, raw)
		if err != nil {
			return fallback(err)
		}
		md[ceKey(name)] = s
	}
	id, err := eventID(d.MessageId, md[runtime.HeaderID])
	msg := message.NewMessage(id, payload)
	msg.Metadata = md
	return msg, err
}

// structuredData is the payload of a structured event: data as JSON, or
// data_base64 decoded.
func structuredData(obj map[string]json.RawMessage) ([]byte, error) {
	data, b64 := obj["data"], obj["data_base64"]
	switch {
	case data != nil && b64 != nil:
		return nil, fmt.Errorf("structured CloudEvent has both data and data_base64: send one")
	case b64 != nil:
		var s string
		if err := json.Unmarshal(b64, &s); err != nil {
			return nil, fmt.Errorf("structured CloudEvent: data_base64 is not a string")
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("structured CloudEvent: data_base64: %w", err)
		}
		return b, nil
	}
	return data, nil
}

// jsonAttribute is the text of attribute name in the JSON format: a
// string, or for eventversion and extensions also a number or boolean.
func jsonAttribute(name string, raw json.RawMessage) (string, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	trimmed := strings.TrimSpace(string(raw))
	isScalar := trimmed != "" && trimmed != "null" && !strings.ContainsAny(trimmed[:1], "{[")
	if isScalar && (name == "eventversion" || !bareAttributes[name] && name != "datacontenttype") {
		return trimmed, nil
	}
	return "", fmt.Errorf("structured CloudEvent: attribute %s is %s, want %s", name, trimmed, wantKind(name))
}
