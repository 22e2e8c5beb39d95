package service

import (
	"fmt"
	"mime"
	"strconv"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/store"
)

// metaFromMessage reads the event metadata a handler gets from msg, which
// arrived with routingKey, and checks the CloudEvents attributes: the
// required ones (specversion 1.x, id, source, type) present, the source
// the producer the type names, a time that parses, a JSON payload. Any
// failure is the reason the event is dead-lettered.
func metaFromMessage(msg *message.Message, routingKey string, attempt int) (runtime.Meta, error) {
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
	if err := checkRequired(m, md.Get(runtime.HeaderSpecVersion)); err != nil {
		return m, err
	}
	v, err := eventVersion(m, md.Get(runtime.HeaderEventVersion), routingKey)
	if err != nil {
		return m, err
	}
	m.Version = v
	if ts := md.Get(runtime.HeaderTime); ts != "" {
		if m.Time, err = time.Parse(time.RFC3339Nano, ts); err != nil {
			return m, fmt.Errorf("event %s: time %q is not an RFC 3339 timestamp", m.ID, ts)
		}
	}
	return m, checkContentType(m, md.Get(runtime.HeaderDataContentType))
}

// checkRequired checks the attributes CloudEvents requires. The source
// must be the producing service, which the type names: an event is
// identified by its source and ID, and the inbox keys it by producer and
// ID, so the two must agree.
func checkRequired(m runtime.Meta, specVersion string) error {
	switch {
	case m.ID == "":
		return fmt.Errorf("event has no ID (CloudEvents id, or the AMQP message-id)")
	case specVersion == "":
		return fmt.Errorf("event %s has no specversion: set the CloudEvents specversion attribute to %s", m.ID, runtime.SpecVersion)
	case specVersion != "1" && !strings.HasPrefix(specVersion, "1."):
		return fmt.Errorf("event %s: specversion %q: this consumer reads CloudEvents 1.x", m.ID, specVersion)
	case m.Type == "":
		return fmt.Errorf("event %s has no type (CloudEvents type, or the AMQP type property)", m.ID)
	case m.Source == "":
		return fmt.Errorf("event %s has no source: set it to the producing service, %q", m.ID, runtime.ProducerOf(m.Type))
	case m.Source != runtime.ProducerOf(m.Type):
		return fmt.Errorf("event %s: source %q is not the service its type %s names (%q): an event's source is its producer", m.ID, m.Source, m.Type, runtime.ProducerOf(m.Type))
	}
	return nil
}

// eventVersion is the event's contract version. The eventversion
// extension, when sent, wins; without it the version is the one the
// routing key names ("<type>.v<N>", what the consumer's queue is bound
// with), and without either it is 1, the version of a contract that never
// changed. An extension and a routing key of the same type that disagree
// is an error: which payload this is would be a guess.
func eventVersion(m runtime.Meta, header, routingKey string) (int, error) {
	keyVersion, keyOK := versionOfKey(m.Type, routingKey)
	if header == "" {
		if keyOK {
			return keyVersion, nil
		}
		return 1, nil
	}
	v, err := strconv.Atoi(header)
	if err != nil || v < 1 {
		return 0, fmt.Errorf("event %s: eventversion %q is not a version >= 1", m.ID, header)
	}
	if keyOK && keyVersion != v {
		return 0, fmt.Errorf("event %s: eventversion %d, but it was published with routing key %s: send the version the key names", m.ID, v, routingKey)
	}
	return v, nil
}

// versionOfKey is the version of a routing key "<typ>.v<N>".
func versionOfKey(typ, key string) (int, bool) {
	rest, ok := strings.CutPrefix(key, typ+".v")
	if !ok {
		return 0, false
	}
	v, err := strconv.Atoi(rest)
	return v, err == nil && v >= 1
}

// structuredJSON is the media type of CloudEvents' structured mode in the
// JSON format: the whole event in the body, not a data content type.
const structuredJSON = "application/cloudevents+json"

// checkContentType accepts a JSON payload: application/json, a
// "+json" media type, or none said (evgen's consumers always assumed
// JSON), in UTF-8.
func checkContentType(m runtime.Meta, contentType string) error {
	if contentType == "" || contentType == runtime.ContentType {
		return nil
	}
	mt, params, err := mime.ParseMediaType(contentType)
	isJSON := err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json") && mt != structuredJSON)
	if cs, ok := params["charset"]; isJSON && (!ok || strings.EqualFold(cs, "utf-8")) {
		return nil
	}
	return fmt.Errorf("event %s: datacontenttype %q: this consumer reads JSON in UTF-8 only (application/json)", m.ID, contentType)
}

// refOf is the event's inbox key: its producer and ID. The producer is
// the source, which checkRequired made sure is the service the type
// names: the type is what routed the event here.
func refOf(m runtime.Meta) store.EventRef {
	return store.EventRef{Producer: runtime.ProducerOf(m.Type), ID: m.ID}
}
