package jetstream_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/evgenhq/evgen/internal/testenv"
	tt "github.com/evgenhq/evgen/internal/transporttest"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/store/memory"
	"github.com/evgenhq/evgen/runtime/transport/jetstream"
)

// BenchmarkConsume measures what the transport costs a consumer: billing,
// with an in-memory inbox and a handler that only counts, takes b.N
// events that wait in its durable consumer, with one and with 32 events
// in flight. Run it with
//
//	go test -run '^$' -bench Consume -benchtime 3000x -count 5 ./runtime/transport/jetstream/
func BenchmarkConsume(b *testing.B) {
	for _, inFlight := range []int{1, 32} {
		b.Run(fmt.Sprintf("MaxAckPending=%d", inFlight), func(b *testing.B) {
			benchmarkConsume(b, jetstream.Options{MaxAckPending: inFlight})
		})
	}
}

func benchmarkConsume(b *testing.B, o jetstream.Options) {
	br := newBroker(b)
	st := memory.New()
	var mu sync.Mutex
	applied := 0
	count := runtime.On(func(context.Context, tt.UserRegistered, runtime.Meta) error {
		mu.Lock()
		defer mu.Unlock()
		applied++
		return nil
	})
	created := br.service(b, tt.BillingContract, st, o)
	if err := created.Register(count); err != nil {
		b.Fatal(err)
	}
	runFor(b, created)() // creates the durable consumer, then stops
	publishN(b, br, o, b.N)

	billing := br.service(b, tt.BillingContract, st, o)
	if err := billing.Register(count); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	stop := runFor(b, billing)
	testenv.Eventually(b, 5*time.Minute, "billing to apply every event", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return applied == b.N
	})
	elapsed := time.Since(start)
	b.StopTimer()
	stop()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
}

// publishN publishes n events through users, from 16 goroutines.
func publishN(b *testing.B, br *broker, o jetstream.Options, n int) {
	b.Helper()
	users := br.service(b, tt.UsersContract, memory.New(), o)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 16 {
				if err := runtime.Publish(context.Background(), users, tt.UserRegistered{UserID: fmt.Sprint(i)}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

// runFor runs svc until the returned stop is called.
func runFor(b *testing.B, svc interface {
	Run(context.Context) error
	Ready() <-chan struct{}
}) (stop func()) {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	select {
	case <-svc.Ready():
	case err := <-done:
		b.Fatalf("Run: %v", err)
	}
	return func() {
		cancel()
		if err := <-done; err != nil {
			b.Errorf("Run: %v", err)
		}
	}
}
