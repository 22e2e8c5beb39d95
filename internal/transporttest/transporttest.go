// Package transporttest holds what the tests of the Watermill transports
// share: stand-in event types and contracts, a service builder, a runner
// and a record of what handlers applied.
package transporttest

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/evgenhq/evgen/internal/servicetest"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
)

// UserRegistered stands in for a generated event type; billing and
// shipping consume it.
type UserRegistered struct {
	UserID string `json:"user_id"`
}

func (UserRegistered) EventType() string  { return "users.UserRegistered" }
func (UserRegistered) EventVersion() int  { return 1 }
func (e UserRegistered) EventKey() string { return e.UserID }
func (e UserRegistered) Validate() error {
	if e.UserID == "" {
		return errors.New("user_id: required")
	}
	return nil
}

// EmailChanged is a second event of users, which billing does not consume.
type EmailChanged struct {
	UserID string `json:"user_id"`
	Email  string `json:"email"`
}

func (EmailChanged) EventType() string  { return "users.EmailChanged" }
func (EmailChanged) EventVersion() int  { return 1 }
func (e EmailChanged) EventKey() string { return e.UserID }
func (EmailChanged) Validate() error    { return nil }

// The events' descriptors, and contracts of a producer and two consumers:
// billing consumes UserRegistered only, shipping both events.
var (
	RegisteredInfo = runtime.EventInfo{Producer: "users", Name: "UserRegistered", Type: "users.UserRegistered", Version: 1, Key: "user_id"}
	EmailInfo      = runtime.EventInfo{Producer: "users", Name: "EmailChanged", Type: "users.EmailChanged", Version: 1, Key: "user_id"}

	UsersContract    = runtime.Contract{Service: "users", Publishes: []runtime.EventInfo{RegisteredInfo, EmailInfo}}
	BillingContract  = runtime.Contract{Service: "billing", Consumes: []runtime.EventInfo{RegisteredInfo}}
	ShippingContract = runtime.Contract{Service: "shipping", Consumes: []runtime.EventInfo{RegisteredInfo, EmailInfo}}
)

// Logger keeps test output quiet unless EVGEN_TEST_LOG is set; see
// servicetest.Logger.
func Logger() *slog.Logger { return servicetest.Logger() }

// NewService builds a service with quiet logs, short backoffs and its own
// metrics registry.
func NewService(t testing.TB, cfg service.Config) *service.Service {
	t.Helper()
	cfg.Logger = Logger()
	cfg.Retry = service.RetryPolicy{MaxAttempts: 3, Backoff: service.Backoff{Initial: 5 * time.Millisecond, Max: 20 * time.Millisecond}}
	cfg.Connect = service.Backoff{Initial: 20 * time.Millisecond, Max: 500 * time.Millisecond}
	cfg.Metrics = prometheus.NewRegistry()
	return servicetest.New(t, cfg)
}

// Run starts svc and waits until it is ready; the returned stop ends it
// and fails t when Run fails. See servicetest.Run.
func Run(t *testing.T, svc *service.Service) (stop func()) {
	t.Helper()
	return servicetest.Run(t, svc)
}

// Applied records, per event ID, how often a service's handlers ran and
// in which order.
type Applied struct {
	mu    sync.Mutex
	order []string
	times map[string]int
}

// Add records that the event id was applied.
func (a *Applied) Add(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.times == nil {
		a.times = map[string]int{}
	}
	a.order = append(a.order, id)
	a.times[id]++
}

// Counts returns how many events were applied and how many distinct ones.
func (a *Applied) Counts() (total, distinct int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.order), len(a.times)
}

// RegisteredHandler records every UserRegistered it handles.
func (a *Applied) RegisteredHandler() runtime.EventHandler {
	return runtime.On(func(_ context.Context, e UserRegistered, m runtime.Meta) error {
		a.Add(m.ID)
		return nil
	})
}

// EmailChangedHandler records every EmailChanged it handles.
func (a *Applied) EmailChangedHandler() runtime.EventHandler {
	return runtime.On(func(_ context.Context, e EmailChanged, m runtime.Meta) error {
		a.Add(m.ID)
		return nil
	})
}

// Snapshot returns the IDs in the order they were applied.
func (a *Applied) Snapshot() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.order)
}

// Register registers hs on svc, failing t on an error.
func Register(t *testing.T, svc *service.Service, hs ...runtime.EventHandler) {
	t.Helper()
	for _, h := range hs {
		if err := svc.Register(h); err != nil {
			t.Fatal(err)
		}
	}
}

// Publish sends e through svc, failing t on an error.
func Publish(t *testing.T, svc *service.Service, e runtime.Event, opts ...runtime.PublishOption) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := runtime.Publish(ctx, svc, e, opts...); err != nil {
		t.Fatalf("publish %s: %v", e.EventType(), err)
	}
}

// Encode builds the message Publish would send for e.
func Encode(t *testing.T, e runtime.Event, opts ...runtime.PublishOption) *message.Message {
	t.Helper()
	var c capture
	if err := runtime.Publish(context.Background(), &c, e, opts...); err != nil {
		t.Fatal(err)
	}
	return c.msgs[0]
}

// capture is a runtime.Publisher that keeps what it is given.
type capture struct{ msgs []*message.Message }

func (c *capture) Publish(_ context.Context, msgs ...*message.Message) error {
	c.msgs = append(c.msgs, msgs...)
	return nil
}
