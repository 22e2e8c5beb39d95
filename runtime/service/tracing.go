package service

import (
	"context"
	"strconv"

	"github.com/ThreeDotsLabs/watermill/message"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/evgenhq/evgen/internal/version"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/store"
	"github.com/evgenhq/evgen/runtime/transport"
)

// The service's spans follow the OpenTelemetry messaging semantic
// conventions of semconv v1.43.0 for RabbitMQ (docs/observability.md):
//
//	publish <exchange>      producer, send: Service.Publish, one per event
//	relay <exchange>        producer, send: the outbox relay's publish of one event
//	process <exchange>      consumer, process: one attempt at one delivery, the handler inside
//	                        (process <queue> for one sent to the queue itself, such as a redriven one)
//	ack <queue>             client, settle: the ack of what one inbox commit applied, linked to each
//	dead_letter <dlq>       producer, send: the copy into the dead-letter queue
//
// A send span's parent is the trace context the event carries (the span it
// was created in, stored with it in the outbox) and it replaces it, so the
// consumer's process span is the send span's child: a request, the relay,
// the handler, what the handler publishes, and its relay and handlers make
// one trace. With the no-op provider every span is a no-op and nothing is
// written to the event.
//
// A span is started with its operation alone, and named and given its
// attributes only once it turns out to record: with the no-op provider
// (the default) building a dozen attributes and a name per event would be
// the only cost of tracing that is off. Samplers therefore decide on the
// parent, the kind and the operation, which is what the SDK's samplers
// (parent-based, trace-ID ratio) look at.

// Operation names (messaging.operation.name) of the service's spans.
const (
	opPublish    = "publish"
	opRelay      = "relay"
	opProcess    = "process"
	opAck        = "ack"
	opDeadLetter = "dead_letter"
)

// Attributes of evgen's own, beside the conventions'.
const (
	attrAttempt   = attribute.Key("evgen.attempt")         // the delivery's attempt, 1 for the first
	attrDuplicate = attribute.Key("evgen.inbox.duplicate") // the inbox had applied the event before
	attrStale     = attribute.Key("evgen.inbox.stale")     // an event of its key as new or newer was applied before
	attrAttempts  = attribute.Key("evgen.dead_letter.attempts")
)

// Span start options, made once: built per call they would cost two
// allocations per span, which is all tracing costs beyond the no-op.
var (
	asProducer = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindProducer)}
	asConsumer = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindConsumer)}
	asClient   = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindClient)}
)

// tracer makes the service's spans.
type tracer struct {
	t       trace.Tracer
	service string
	names   names
	queue   string // the service's queue, "" when it consumes nothing
	// system is messaging.system, as the transport names it
	// (transport.MessagingSystem); "" leaves it out. rabbitmq reports
	// whether it is RabbitMQ, whose routing key the spans then carry.
	system   string
	rabbitmq bool
}

func newTracer(cfg Config, queue string, binding transport.Binding) tracer {
	t := cfg.TracerProvider.Tracer("github.com/evgenhq/evgen/runtime/service",
		trace.WithInstrumentationVersion(version.Version), trace.WithSchemaURL(semconv.SchemaURL))
	tr := tracer{t: t, service: cfg.Contract.Service, names: names{cfg.Namespace}, queue: queue}
	if ms, ok := binding.(transport.MessagingSystem); ok {
		tr.system = ms.MessagingSystem()
	}
	tr.rabbitmq = tr.system == semconv.MessagingSystemRabbitMQ.Value.AsString()
	return tr
}

// wire is the attributes that say which system carried an event and how
// it was routed: messaging.system, and for RabbitMQ the routing key.
func (tr tracer) wire(routingKey string) []attribute.KeyValue {
	var kv []attribute.KeyValue
	if tr.system != "" {
		kv = append(kv, semconv.MessagingSystemKey.String(tr.system))
	}
	if tr.rabbitmq {
		kv = append(kv, semconv.MessagingRabbitMQDestinationRoutingKey(routingKey))
	}
	return kv
}

// sendSpans are the recording send spans of one Publish call.
type sendSpans []trace.Span

// startSends starts a send span per event of msgs, each a child of the
// trace context the event carries (else of ctx), and writes the span's
// context into the event for its consumers.
func (tr tracer) startSends(ctx context.Context, op string, msgs []*message.Message) sendSpans {
	var spans sendSpans
	for _, msg := range msgs {
		md := msg.Metadata
		spanCtx, span := tr.t.Start(runtime.ExtractTrace(ctx, md), op, asProducer...)
		if !span.IsRecording() {
			continue
		}
		exchange := tr.names.exchange(md.Get(runtime.HeaderSource))
		span.SetName(op + " " + exchange)
		span.SetAttributes(tr.wire(runtime.RoutingKey(md.Get(runtime.HeaderType), atoiOr0(md.Get(runtime.HeaderEventVersion))))...)
		span.SetAttributes(
			semconv.MessagingOperationTypeSend,
			semconv.MessagingOperationName(op),
			semconv.MessagingDestinationName(exchange),
			semconv.MessagingMessageID(msg.UUID),
			semconv.MessagingMessageConversationID(md.Get(runtime.HeaderCorrelationID)),
			semconv.CloudEventsEventType(md.Get(runtime.HeaderType)),
		)
		runtime.InjectTrace(spanCtx, md)
		spans = append(spans, span)
	}
	return spans
}

// end ends the spans with the outcome of their publish.
func (s sendSpans) end(err error) {
	for _, span := range s {
		endWith(span, err)
	}
}

// startProcess starts the process span of one attempt at d, a child of the
// trace context the event carries, and remembers its context on d for the
// settle span.
func (tr tracer) startProcess(ctx context.Context, d *delivery, m runtime.Meta) (context.Context, trace.Span) {
	spanCtx, span := tr.t.Start(runtime.ExtractTrace(ctx, d.msg.Metadata), opProcess, asConsumer...)
	d.span = span.SpanContext()
	if !span.IsRecording() {
		return spanCtx, span
	}
	where := d.Exchange()
	if where == "" { // sent to the queue itself: redriven, or a resync answer
		where = tr.queue
	}
	span.SetName(opProcess + " " + where)
	span.SetAttributes(tr.wire(d.RoutingKey())...)
	span.SetAttributes(
		semconv.MessagingOperationTypeProcess,
		semconv.MessagingOperationName(opProcess),
		semconv.MessagingDestinationName(d.Exchange()),
		semconv.MessagingConsumerGroupName(tr.service),
		semconv.MessagingMessageID(m.ID),
		semconv.MessagingMessageConversationID(m.CorrelationID),
		semconv.CloudEventsEventType(m.Type),
		attrAttempt.Int(m.Attempt),
	)
	if m.Attempt > 1 {
		span.AddEvent("retry", trace.WithAttributes(attrAttempt.Int(m.Attempt)))
	}
	return spanCtx, span
}

// endProcess ends a process span: a duplicate the inbox skipped, a failed
// attempt, or a handled event.
func endProcess(span trace.Span, duplicate bool, err error) {
	if duplicate {
		span.SetAttributes(attrDuplicate.Bool(true))
		span.AddEvent("inbox duplicate: applied before, skipped")
	}
	endWith(span, err)
}

// process runs the handler of a claimed event newer than what its key
// applied before (order.go), or skips a duplicate or a stale event, in the
// event's process span.
func (s *Service) process(ctx context.Context, tx store.InboxTx, d *delivery, h runtime.EventHandler, m runtime.Meta, claimed bool) error {
	ctx, span := s.tracer.startProcess(ctx, d, m)
	var err error
	if claimed {
		var fresh bool
		if fresh, err = s.newer(ctx, tx, d, m); err == nil && fresh {
			err = s.call(ctx, tx, d, h, m)
		} else if err == nil {
			span.SetAttributes(attrStale.Bool(true))
			span.AddEvent("stale: an event of its key as new or newer was applied before, skipped")
		}
	}
	endProcess(span, !claimed, err)
	return err
}

// startSettle starts the span of acking what one inbox commit applied.
// The conventions make a batch's settle span link to each event rather
// than be the child of one: with one event it is that event's child, with
// several it links to their process spans.
func (tr tracer) startSettle(items []batchItem) trace.Span {
	ctx := context.Background()
	if !anyTraced(items) {
		return trace.SpanFromContext(ctx) // the no-op span: no process span was made
	}
	if len(items) == 1 {
		ctx = trace.ContextWithSpanContext(ctx, items[0].d.span)
	}
	_, span := tr.t.Start(ctx, opAck, asClient...)
	if !span.IsRecording() {
		return span
	}
	span.SetName(opAck + " " + tr.queue)
	if tr.system != "" {
		span.SetAttributes(semconv.MessagingSystemKey.String(tr.system))
	}
	span.SetAttributes(
		semconv.MessagingOperationTypeSettle,
		semconv.MessagingOperationName(opAck),
		semconv.MessagingConsumerGroupName(tr.service),
	)
	if len(items) == 1 {
		span.SetAttributes(semconv.MessagingMessageID(items[0].m.ID))
		return span
	}
	span.SetAttributes(semconv.MessagingBatchMessageCount(len(items)))
	for _, it := range items {
		span.AddLink(trace.Link{SpanContext: it.d.span})
	}
	return span
}

// anyTraced reports whether a process span of items has a span context:
// none has when tracing is off and the events carried no trace context.
func anyTraced(items []batchItem) bool {
	for _, it := range items {
		if it.d.span.IsValid() {
			return true
		}
	}
	return false
}

// startDeadLetter starts the span of copying d into the dead-letter queue,
// a child of the trace context the event carries, marked as an error with
// the cause.
func (tr tracer) startDeadLetter(d *delivery, m runtime.Meta, cause error, attempts int) trace.Span {
	dlq := tr.names.deadLetterQueue(tr.service)
	_, span := tr.t.Start(runtime.ExtractTrace(context.Background(), d.msg.Metadata), opDeadLetter+" "+dlq, trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(tr.wire(dlq)...),
		trace.WithAttributes(
			semconv.MessagingOperationTypeSend,
			semconv.MessagingOperationName(opDeadLetter),
			semconv.MessagingDestinationName(""), // the default exchange
			semconv.MessagingConsumerGroupName(tr.service),
			semconv.MessagingMessageID(m.ID),
			semconv.CloudEventsEventType(m.Type),
			attrAttempts.Int(attempts),
		))
	span.AddEvent("dead-lettered", trace.WithAttributes(attribute.String("reason", cause.Error()), attrAttempts.Int(attempts)))
	span.SetStatus(codes.Error, "dead-lettered after "+strconv.Itoa(attempts)+" attempts: "+cause.Error())
	return span
}

// endWith records err, if any, on span and ends it.
func endWith(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
		span.SetAttributes(semconv.ErrorTypeKey.String(errorType(err)))
	}
	span.End()
}

// errorType is the error.type of a failed operation: "permanent" for an
// error no retry cures, else "transient".
func errorType(err error) string {
	if runtime.IsPermanent(err) {
		return "permanent"
	}
	return "transient"
}
