package runtime

import (
	"strconv"
	"strings"
)

// CloudEvents attribute names, used both as Watermill message metadata keys
// and as AMQP header names, so that a consumer without evgen can read the
// events (CloudEvents AMQP binding, "cloudEvents:" prefix). Consumers also
// read the binding's other prefix, "cloudEvents_", and structured mode;
// docs/other-languages.md says why evgen writes ":".
const (
	HeaderSpecVersion   = "cloudEvents:specversion"
	HeaderID            = "cloudEvents:id"
	HeaderSource        = "cloudEvents:source"
	HeaderType          = "cloudEvents:type"
	HeaderTime          = "cloudEvents:time"
	HeaderSubject       = "cloudEvents:subject"
	HeaderEventVersion  = "cloudEvents:eventversion"
	HeaderCorrelationID = "cloudEvents:correlationid"
	HeaderCausationID   = "cloudEvents:causationid"
	// HeaderDataSchema is the URL of the event's JSON Schema, set when
	// the service is told where the schemas are published.
	HeaderDataSchema = "cloudEvents:dataschema"
	// HeaderDataContentType is the media type of the payload in a
	// delivered event's metadata; on AMQP it travels as the content-type
	// property, not as a header, as the binding says.
	HeaderDataContentType = "cloudEvents:datacontenttype"
)

// SpecVersion is the CloudEvents version the headers follow.
const SpecVersion = "1.0"

// ContentType is the AMQP content-type of every event payload.
const ContentType = "application/json"

// RoutingKey is the routing key of an event type and version on its
// producer's exchange: "users.UserEmailChanged.v1".
func RoutingKey(eventType string, version int) string {
	return eventType + ".v" + strconv.Itoa(version)
}

// ProducerOf returns the service part of a producer-qualified event type:
// "users" for "users.UserRegistered", "" when the type has no service part.
func ProducerOf(eventType string) string {
	svc, _, ok := strings.Cut(eventType, ".")
	if !ok {
		return ""
	}
	return svc
}
