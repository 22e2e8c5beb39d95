// Package telemetry gives the example services OpenTelemetry traces: an
// OTLP exporter when the standard OTEL_EXPORTER_OTLP_* variables ask for
// one, and server spans for their HTTP APIs, so that a request and the
// events it causes make one trace (see docs/observability.md).
package telemetry

import (
	"context"
	"fmt"
	"net/http"
	"os"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// Help is what the services' -help says about tracing.
const Help = `Tracing: set OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT),
such as http://127.0.0.1:4318, to export OpenTelemetry traces over OTLP/HTTP
(OTEL_EXPORTER_OTLP_PROTOCOL http/protobuf, the default); OTEL_SERVICE_NAME
and OTEL_RESOURCE_ATTRIBUTES name the service, OTEL_TRACES_SAMPLER samples.
Unset: no traces, at no cost. See docs/observability.md.
`

// Enabled reports whether the environment asks for an OTLP exporter.
func Enabled() bool {
	return os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// Setup returns the tracer provider the environment asks for, also set as
// the global one, and its shutdown, which flushes what is buffered. With
// no OTLP endpoint set it returns nil (the runtime then uses the global
// no-op provider) and a shutdown that does nothing.
func Setup(ctx context.Context, service string) (trace.TracerProvider, func(context.Context) error, error) {
	if !Enabled() {
		return nil, func(context.Context) error { return nil }, nil
	}
	if p := protocol(); p != "http/protobuf" {
		return nil, nil, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL=%s: the examples export over OTLP/HTTP only; set http/protobuf (Jaeger and the OpenTelemetry Collector take it on port 4318)", p)
	}
	exp, err := otlptracehttp.New(ctx) // reads the OTEL_EXPORTER_OTLP_* variables
	if err != nil {
		return nil, nil, fmt.Errorf("OTLP trace exporter: %w", err)
	}
	// The service's name first, so that OTEL_SERVICE_NAME and
	// OTEL_RESOURCE_ATTRIBUTES, read after it, win.
	res, err := resource.New(ctx, resource.WithAttributes(semconv.ServiceName(service)), resource.WithFromEnv(), resource.WithTelemetrySDK())
	if err != nil {
		return nil, nil, fmt.Errorf("trace resource: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	return tp, tp.Shutdown, nil
}

// protocol is the OTLP protocol asked for, traces' own first.
func protocol() string {
	for _, v := range []string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		if p := os.Getenv(v); p != "" {
			return p
		}
	}
	return "http/protobuf"
}

// HTTP wraps an API's handler in server spans from tp (nil: the global
// provider), named by method and route, continuing a caller's W3C trace
// context. Health checks and metric scrapes are not traced: they would
// bury the requests that matter.
func HTTP(h http.Handler, tp trace.TracerProvider) http.Handler {
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	return otelhttp.NewHandler(h, "http",
		otelhttp.WithTracerProvider(tp),
		otelhttp.WithPropagators(propagation.TraceContext{}),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
			if r.Pattern != "" { // "DELETE /users/{id}", set once routed
				return r.Pattern
			}
			return r.Method
		}),
		otelhttp.WithFilter(func(r *http.Request) bool { return r.URL.Path != "/healthz" && r.URL.Path != "/metrics" }),
	)
}
