package runtime

import (
	"context"
	"strings"

	"github.com/ThreeDotsLabs/watermill/message"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Trace context travels with each event as the CloudEvents
// distributed-tracing extension: its attributes traceparent and tracestate
// hold W3C Trace Context, here as headers in the AMQP binding's prefix like
// every other attribute. They are message metadata, so the outbox stores
// them with the event row and the relay sends them on; a copy in the
// dead-letter queue keeps them, and so does a redriven one.
const (
	HeaderTraceParent = "cloudEvents:traceparent"
	HeaderTraceState  = "cloudEvents:tracestate"
)

// traceHeaders maps each W3C field to the headers it is read from, first
// the one written. The CloudEvents AMQP binding also allows the prefix
// "cloudEvents_" (for brokers that refuse ':' in names), so a producer
// writing that style is understood too.
var traceHeaders = map[string][]string{
	"traceparent": {HeaderTraceParent, "cloudEvents_traceparent"},
	"tracestate":  {HeaderTraceState, "cloudEvents_tracestate"},
}

// tracePropagator is W3C Trace Context, whatever the application's global
// propagator: the CloudEvents extension defines the two fields as W3C's.
var tracePropagator = propagation.TraceContext{}

// InjectTrace writes the span context of ctx into md as the trace
// headers; it writes nothing when ctx holds no valid span context (tracing
// off), so an untraced event carries no trace headers.
func InjectTrace(ctx context.Context, md message.Metadata) {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return
	}
	tracePropagator.Inject(ctx, metadataCarrier(md))
}

// ExtractTrace returns ctx with the remote span context that md's trace
// headers carry as its span context; ctx itself when they carry none.
func ExtractTrace(ctx context.Context, md message.Metadata) context.Context {
	if metadataCarrier(md).Get("traceparent") == "" {
		return ctx // the common untraced case, without parsing
	}
	return tracePropagator.Extract(ctx, metadataCarrier(md))
}

// metadataCarrier is message metadata as an OpenTelemetry carrier, under
// the header names of traceHeaders.
type metadataCarrier message.Metadata

func (c metadataCarrier) Get(key string) string {
	for _, h := range traceHeaders[strings.ToLower(key)] {
		if v := c[h]; v != "" {
			return v
		}
	}
	return ""
}

func (c metadataCarrier) Set(key, value string) {
	if hs, ok := traceHeaders[strings.ToLower(key)]; ok {
		c[hs[0]] = value
	}
}

func (c metadataCarrier) Keys() []string {
	return []string{"traceparent", "tracestate"}
}
