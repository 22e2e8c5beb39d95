package service_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store/memory"
)

// discard is a Publisher that drops what it is given, so that a benchmark
// measures only encoding.
type discard struct{}

func (discard) Publish(context.Context, ...*message.Message) error { return nil }

// BenchmarkPublishEncode measures the generated publish path without a
// broker: validate, JSON, ID, metadata (allocations per event).
func BenchmarkPublishEncode(b *testing.B) {
	ctx := context.Background()
	e := userRegistered{UserID: "user-123", Email: "someone@example.com"}
	b.ReportAllocs()
	for b.Loop() {
		if err := runtime.Publish(ctx, discard{}, e); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDispatchDecode measures the consume path's typed part: decoding
// the payload into the event type and validating it, as On does.
func BenchmarkDispatchDecode(b *testing.B) {
	h := runtime.On(func(context.Context, userRegistered, runtime.Meta) error { return nil })
	payload := []byte(`{"user_id":"user-123","email":"someone@example.com"}`)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := h.Handle(ctx, payload, runtime.Meta{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPublishBroker publishes confirmed events to the real RabbitMQ
// from 64 goroutines, over 1 to 8 publisher channels.
func BenchmarkPublishBroker(b *testing.B) {
	for _, channels := range []int{1, 2, 4, 8} {
		b.Run(fmt.Sprintf("channels=%d", channels), func(b *testing.B) {
			br := newBroker(b)
			users, _ := br.Service(b, usersContract, memory.New(), func(c *service.Config) { c.PublisherChannels = channels })
			br.BindSink(b, "users", "users.UserRegistered.v1")
			ctx := context.Background()
			var i atomic.Int64
			b.SetParallelism(32)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					e := userRegistered{UserID: fmt.Sprint(i.Add(1)), Email: "someone@example.com"}
					if err := runtime.Publish(ctx, users, e); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
