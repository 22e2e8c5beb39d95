package pubsub_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	tt "github.com/evgenhq/evgen/internal/transporttest"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store/memory"
	"github.com/evgenhq/evgen/runtime/transport/pubsub"
)

// A span names the messaging system the transport carries events over,
// not RabbitMQ whatever the transport: over a Watermill Pub/Sub it is
// Config.System, left out when that is empty, and RabbitMQ's routing key
// is never there.
func TestSpansNameThePubSubsSystem(t *testing.T) {
	for _, system := range []string{"", "kafka"} {
		t.Run("system "+system, func(t *testing.T) {
			rec := tracetest.NewSpanRecorder()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
			t.Cleanup(func() { tp.Shutdown(context.Background()) })
			cfg := pubsub.GoChannel(newGoChannel(t))
			cfg.System = system
			users := tt.NewService(t, service.Config{Contract: tt.UsersContract, Transport: pubsub.New(cfg), Store: memory.New(), TracerProvider: tp})
			tt.Publish(t, users, tt.UserRegistered{UserID: "u-1"})

			ended := rec.Ended()
			if len(ended) != 1 {
				t.Fatalf("%d spans ended, want the publish span", len(ended))
			}
			got := map[attribute.Key]string{}
			for _, kv := range ended[0].Attributes() {
				got[kv.Key] = kv.Value.Emit()
			}
			if v, ok := got["messaging.system"]; system == "" && ok {
				t.Errorf("messaging.system = %q with Config.System empty, want it left out", v)
			} else if system != "" && v != system {
				t.Errorf("messaging.system = %q, want %q", v, system)
			}
			if v, ok := got["messaging.rabbitmq.destination.routing_key"]; ok {
				t.Errorf("a span over a Watermill Pub/Sub has RabbitMQ's routing key %q", v)
			}
			if got["messaging.operation.type"] != "send" {
				t.Errorf("messaging.operation.type = %q, want send: not the publish span? %v", got["messaging.operation.type"], got)
			}
		})
	}
}
