package service_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/evgenhq/evgen/internal/servicetest"
	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
)

// userRegistered and invoicePaid stand in for generated event types.
type userRegistered = testenv.UserRegistered

type invoicePaid struct {
	InvoiceID string `json:"invoice_id"`
}

func (invoicePaid) EventType() string { return "billing.InvoicePaid" }
func (invoicePaid) EventVersion() int { return 2 }
func (invoicePaid) Validate() error   { return nil }

var (
	usersInfo   = runtime.EventInfo{Producer: "users", Name: "UserRegistered", Type: "users.UserRegistered", Version: 1, Key: "user_id"}
	invoiceInfo = runtime.EventInfo{Producer: "billing", Name: "InvoicePaid", Type: "billing.InvoicePaid", Version: 2}

	usersContract    = runtime.Contract{Service: "users", Publishes: []runtime.EventInfo{usersInfo}}
	billingContract  = runtime.Contract{Service: "billing", Publishes: []runtime.EventInfo{invoiceInfo}, Consumes: []runtime.EventInfo{usersInfo}}
	shippingContract = runtime.Contract{Service: "shipping", Consumes: []runtime.EventInfo{usersInfo, invoiceInfo}}
)

// testLogger keeps test output quiet unless EVGEN_TEST_LOG is set.
func testLogger() *slog.Logger {
	if os.Getenv("EVGEN_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// fastRetry keeps retry waits short in tests.
var fastRetry = service.RetryPolicy{MaxAttempts: 3, Backoff: service.Backoff{Initial: 5 * time.Millisecond, Max: 20 * time.Millisecond}}

// newService builds a service with test defaults: quiet logs, short
// backoffs, its own metrics registry.
func newService(t testing.TB, cfg service.Config) (*service.Service, *prometheus.Registry) {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = testLogger()
	}
	if cfg.Retry == (service.RetryPolicy{}) {
		cfg.Retry = fastRetry
	}
	if cfg.Connect == (service.Backoff{}) {
		cfg.Connect = service.Backoff{Initial: 20 * time.Millisecond, Max: 500 * time.Millisecond}
	}
	reg := prometheus.NewRegistry()
	if cfg.Metrics == nil {
		cfg.Metrics = reg
	}
	return servicetest.New(t, cfg), reg
}

// metric sums the samples of the named metric in reg: counters' and
// gauges' values, histograms' sample counts (a family is of one kind, so
// the other getters add 0).
func metric(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue() + float64(m.GetHistogram().GetSampleCount())
		}
	}
	return sum
}

// running is a service started by start; stop ends it and returns Run's
// error.
type running struct {
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error
}

func (r *running) stop() error {
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

func start(t *testing.T, svc *service.Service) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- svc.Run(ctx) }()
	t.Cleanup(func() {
		if err := r.stop(); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return r
}

// recorder collects what handlers saw, safely across goroutines.
type recorder struct {
	mu     sync.Mutex
	ids    []string
	users  []string
	counts map[string]int
}

func (r *recorder) add(userID string, m runtime.Meta) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.counts == nil {
		r.counts = map[string]int{}
	}
	r.ids = append(r.ids, m.ID)
	r.users = append(r.users, userID)
	r.counts[m.ID]++
}

func (r *recorder) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.ids)
}

// snapshot returns the user IDs in handling order and the times each event
// ID was handled.
func (r *recorder) snapshot() ([]string, map[string]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	counts := make(map[string]int, len(r.counts))
	for k, v := range r.counts {
		counts[k] = v
	}
	return append([]string(nil), r.users...), counts
}

func (r *recorder) handler() runtime.EventHandler {
	return runtime.On(func(_ context.Context, e userRegistered, m runtime.Meta) error {
		r.add(e.UserID, m)
		return nil
	})
}

// capture is a Publisher that keeps what it is given.
type capture struct{ msgs []*message.Message }

func (c *capture) Publish(_ context.Context, msgs ...*message.Message) error {
	c.msgs = append(c.msgs, msgs...)
	return nil
}

// encode builds the message Publish would send for e.
func encode(t *testing.T, e runtime.Event, opts ...runtime.PublishOption) *message.Message {
	t.Helper()
	msg, err := encodeEvent(e, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

// encodeEvent is encode for goroutines other than the test's, which must
// not call t.Fatal: they report the error instead.
func encodeEvent(e runtime.Event, opts ...runtime.PublishOption) (*message.Message, error) {
	var c capture
	if err := runtime.Publish(context.Background(), &c, e, opts...); err != nil {
		return nil, fmt.Errorf("encode %s: %w", e.EventType(), err)
	}
	return c.msgs[0], nil
}
