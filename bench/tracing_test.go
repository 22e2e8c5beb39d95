package main

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/evgenhq/evgen/bench/internal/benchpubevents"
	"github.com/evgenhq/evgen/bench/internal/benchsubevents"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store/memory"
)

// The cost of tracing, without a broker (the in-process transport and the
// memory store, so that nothing but the runtime's own work is measured):
//
//	go test -run '^$' -bench Tracing -benchmem ./bench
//
// "none" leaves Config.TracerProvider unset (the global no-op provider);
// "sdk" records every span with the OpenTelemetry SDK, sampling all, into
// an exporter that drops them: the spans' whole cost short of the network.

// tracingModes are the providers compared.
var tracingModes = []struct {
	name string
	tp   func() trace.TracerProvider
}{
	{"none", func() trace.TracerProvider { return nil }},
	{"sdk", func() trace.TracerProvider {
		return sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()), sdktrace.WithSyncer(tracetest.NewNoopExporter()))
	}},
}

// BenchmarkTracingPublish is one generated publish through Service.Publish
// (the send span, the trace headers) to a bus no one consumes from.
func BenchmarkTracingPublish(b *testing.B) {
	for _, mode := range tracingModes {
		b.Run(mode.name, func(b *testing.B) {
			bus := service.NewInProcessBus()
			pub := tracedService(b, benchpubevents.Contract, bus, mode.tp())
			p := benchpubevents.NewPublisher(pub)
			ev := benchEvent(1, 200, time.Now())
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if err := p.PublishEmailChanged(ctx, ev); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// countingHandler counts the events it handles.
type countingHandler struct{ n atomic.Int64 }

func (h *countingHandler) HandleEmailChanged(context.Context, benchsubevents.EmailChanged, runtime.Meta) error {
	h.n.Add(1)
	return nil
}

// BenchmarkTracingConsume is one event published and consumed: the send
// span, then the consumer's process and settle spans around the inbox
// claim and the handler, all in one process.
func BenchmarkTracingConsume(b *testing.B) {
	for _, mode := range tracingModes {
		b.Run(mode.name, func(b *testing.B) {
			bus := service.NewInProcessBus()
			tp := mode.tp()
			sub := tracedService(b, benchsubevents.Contract, bus, tp)
			h := &countingHandler{}
			if err := benchsubevents.RegisterHandlers(sub, h); err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- sub.Run(ctx) }()
			defer func() {
				cancel()
				if err := <-done; err != nil {
					b.Error(err)
				}
			}()
			<-sub.Ready()
			p := benchpubevents.NewPublisher(tracedService(b, benchpubevents.Contract, bus, tp))
			ev := benchEvent(1, 200, time.Now())
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if err := p.PublishEmailChanged(ctx, ev); err != nil {
					b.Fatal(err)
				}
			}
			for h.n.Load() < int64(b.N) { // timed too: the consumer's work is what is measured
				time.Sleep(100 * time.Microsecond)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// tracedService is a service of contract on bus with the memory store and
// the given tracer provider.
func tracedService(b *testing.B, contract runtime.Contract, bus *service.InProcessBus, tp trace.TracerProvider) *service.Service {
	b.Helper()
	svc, err := service.New(service.Config{
		Contract: contract, Transport: service.InProcess(bus), Store: memory.New(),
		Logger: slog.New(slog.DiscardHandler), TracerProvider: tp,
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { svc.Close() })
	return svc
}
