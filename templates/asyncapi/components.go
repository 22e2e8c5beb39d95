package asyncapi

import (
	"slices"
	"strings"

	"github.com/evgenhq/evgen/internal/ordered"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/schema"
	"github.com/evgenhq/evgen/templates/jsonschema"
)

// Component names shared by every message.
const (
	traitCloudEvents = "cloudEvents"
	corrCloudEvents  = "cloudEvents"
)

// components are svc's messages, their payload schemas and the named
// types those use, the CloudEvents trait and correlation ID.
func components(svc *schema.Service) *ordered.Map {
	evs := append(own(svc), consumed(svc)...)
	messages, schemas := ordered.New(), ordered.New()
	var named []*schema.NamedType
	seen := map[*schema.NamedType]bool{}
	for _, ev := range evs {
		messages.Set(messageID(ev), message(ev))
		schemas.Set(messageID(ev), jsonschema.Event(ev, schemaRef))
		for _, n := range jsonschema.Uses(ev) {
			if !seen[n] {
				seen[n] = true
				named = append(named, n)
			}
		}
	}
	sortNamed(named)
	for _, n := range named {
		schemas.Set(jsonschema.DefName(n), jsonschema.Named(n, schemaRef))
	}
	return ordered.New().
		Set("messages", messages).
		Set("schemas", schemas).
		Set("messageTraits", ordered.New().Set(traitCloudEvents, cloudEventsTrait())).
		Set("correlationIds", ordered.New().Set(corrCloudEvents, ordered.New().
			Set("description", "The conversation an event belongs to: the ID of the first event, carried over by every handler that publishes in reaction.").
			Set("location", "$message.header#/"+runtime.HeaderCorrelationID)))
}

// message is ev's message: its payload, the AMQP type property and the
// CloudEvents headers.
func message(ev *schema.Event) *ordered.Map {
	m := ordered.New().
		Set("name", ev.Name).
		Set("title", versionText(ev))
	if s := summary(ev.Doc); s != "" {
		m.Set("summary", s)
	}
	if d := describe(ev); d != "" {
		m.Set("description", d)
	}
	return m.
		Set("contentType", runtime.ContentType).
		Set("payload", ref("#/components/schemas/"+messageID(ev))).
		Set("correlationId", ref("#/components/correlationIds/"+corrCloudEvents)).
		Set("traits", []any{ref("#/components/messageTraits/" + traitCloudEvents)}).
		Set("bindings", amqp(ordered.New().Set("messageType", ev.Type)))
}

// describe is the message description: the event's doc, what its
// CloudEvents subject is, and its deprecation.
func describe(ev *schema.Event) string {
	var parts []string
	if d := strings.TrimSpace(ev.Doc); d != "" {
		parts = append(parts, d)
	}
	if ev.Key != nil {
		parts = append(parts, "The "+runtime.HeaderSubject+" header is the key, "+ev.Key.Name+".")
	}
	if ev.Deprecated != "" {
		parts = append(parts, "Deprecated: "+ev.Deprecated)
	}
	return strings.Join(parts, "\n\n")
}

// summary is the first sentence of a doc, its lines joined.
func summary(doc string) string {
	para, _, _ := strings.Cut(strings.TrimSpace(doc), "\n\n")
	para = strings.Join(strings.Fields(para), " ")
	if sentence, _, ok := strings.Cut(para, ". "); ok {
		return sentence + "."
	}
	return para
}

// cloudEventsTrait is the headers runtime.Publish sets on every event,
// following the CloudEvents AMQP binding, and the AMQP user-id the
// runtime sets, which AsyncAPI's AMQP message binding has no field for.
func cloudEventsTrait() *ordered.Map {
	props := ordered.New()
	header := func(name, desc string) *ordered.Map {
		h := ordered.New().Set("type", "string").Set("description", desc)
		props.Set(name, h)
		return h
	}
	header(runtime.HeaderSpecVersion, "The CloudEvents version.").Set("const", runtime.SpecVersion)
	header(runtime.HeaderID, "The event ID, also the AMQP message-id; a UUIDv7 unless the publisher chose one. Consumers deduplicate by it.")
	header(runtime.HeaderSource, "The producing service.")
	header(runtime.HeaderType, "The event type, <producer>.<Event>; also the AMQP type property.")
	header(runtime.HeaderEventVersion, "The event's contract version, in decimal.").Set("pattern", "^[1-9][0-9]*$")
	header(runtime.HeaderTime, "When the event happened, RFC 3339; also the AMQP timestamp.").Set("format", "date-time")
	header(runtime.HeaderSubject, "The event's key, for events whose contract names one.")
	header(runtime.HeaderCorrelationID, "The conversation: the first event's ID.")
	header(runtime.HeaderCausationID, "The ID of the event whose handler published this one; absent outside a handler.")
	header(runtime.HeaderDataSchema, "The URL of the event's JSON Schema, the $id evgen jsonschema -base-url gives it: <base URL>/<type>.v<version>.schema.json. Set when the producer's Config.SchemaBaseURL is.").Set("format", "uri")
	required := []string{runtime.HeaderSpecVersion, runtime.HeaderID, runtime.HeaderSource, runtime.HeaderType,
		runtime.HeaderEventVersion, runtime.HeaderTime, runtime.HeaderCorrelationID}
	return ordered.New().
		Set("description", "Every event also carries the AMQP user-id property: the broker user the producer connects as, which RabbitMQ checks against the connection's user. A consumer told its producers' users (Config.PublisherUsers) dead-letters an event whose user-id is missing or another's.").
		Set("headers", ordered.New().
			Set("type", "object").
			Set("properties", props).
			Set("required", required))
}

func sortNamed(ns []*schema.NamedType) {
	slices.SortFunc(ns, func(a, b *schema.NamedType) int {
		return strings.Compare(jsonschema.DefName(a), jsonschema.DefName(b))
	})
}
