// Package servicetest builds and runs services in evgen's own tests: one
// builder (New, and Quiet with test defaults) and one runner (Run, and
// Start for a test that stops the service itself) instead of a copy in
// every test package, with the broker fixture (Broker: a namespace of its
// own on the real RabbitMQ, cleaned up), the recorder, the contracts and
// the encoder that the engine's and the transports' tests share. The poller is testenv.Eventually and the stand-in event
// testenv.UserRegistered, which live in testenv because the engine's
// internal tests use them and this package imports the engine.
//
// Only evgen's tests import it.
package servicetest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/evgenhq/evgen/runtime/service"
)

// New builds the service cfg describes and closes it when t ends; it
// fails t when cfg is refused.
func New(t testing.TB, cfg service.Config) *service.Service {
	t.Helper()
	svc, err := service.New(cfg)
	if err != nil {
		t.Fatalf("service.New: %v", err)
	}
	t.Cleanup(func() { svc.Close() })
	return svc
}

// Run starts svc and waits until it is ready (its topology declared, its
// consumer started), failing t when Run returns first or 30s pass. It runs
// until stop is called or t ends; stop cancels it, waits for Run to return
// and fails t with Run's error.
func Run(t testing.TB, svc *service.Service) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Error("Run did not return within 30s of cancel")
			}
		})
	}
	t.Cleanup(stop)
	select {
	case <-svc.Ready():
	case err := <-done:
		t.Fatalf("Run ended before ready: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("service not ready after 30s")
	}
	return stop
}

// Logger keeps test output quiet unless EVGEN_TEST_LOG is set.
func Logger() *slog.Logger {
	if os.Getenv("EVGEN_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// FastRetry keeps retry waits short in tests.
var FastRetry = service.RetryPolicy{MaxAttempts: 3, Backoff: service.Backoff{Initial: 5 * time.Millisecond, Max: 20 * time.Millisecond}}

// Quiet is New with test defaults for what cfg leaves zero: quiet logs,
// FastRetry, short connect backoffs, a metrics registry of its own, which
// it returns.
func Quiet(t testing.TB, cfg service.Config) (*service.Service, *prometheus.Registry) {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = Logger()
	}
	if cfg.Retry == (service.RetryPolicy{}) {
		cfg.Retry = FastRetry
	}
	if cfg.Connect == (service.Backoff{}) {
		cfg.Connect = service.Backoff{Initial: 20 * time.Millisecond, Max: 500 * time.Millisecond}
	}
	reg := prometheus.NewRegistry()
	if cfg.Metrics == nil {
		cfg.Metrics = reg
	}
	return New(t, cfg), reg
}

// Running is a service started by Start; Stop ends it and returns Run's
// error.
type Running struct {
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error
}

// Stop cancels Run and returns its error, once; later calls return the
// same.
func (r *Running) Stop() error {
	r.once.Do(func() {
		r.cancel()
		select {
		case r.err = <-r.done:
		case <-time.After(30 * time.Second):
			r.err = errors.New("Run did not return within 30s of cancel")
		}
	})
	return r.err
}

// Start runs svc until Stop or the end of t, which fails t with Run's
// error; it does not wait for the service to be ready (StartReady does).
func Start(t testing.TB, svc *service.Service) *Running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &Running{cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- svc.Run(ctx) }()
	t.Cleanup(func() {
		if err := r.Stop(); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return r
}

// StartReady is Start, then waits until svc consumes.
func StartReady(t testing.TB, svc *service.Service) *Running {
	t.Helper()
	r := Start(t, svc)
	select {
	case <-svc.Ready():
	case <-time.After(5 * time.Second):
		t.Fatal("service not ready within 5s")
	}
	return r
}

// Cancel cancels Run without waiting for it to return, as a signal
// would; Stop then waits.
func (r *Running) Cancel() { r.cancel() }
