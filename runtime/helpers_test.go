package runtime

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"
)

var (
	usersInfo   = EventInfo{Producer: "users", Name: "UserRegistered", Type: "users.UserRegistered", Version: 1, Key: "user_id"}
	invoiceInfo = EventInfo{Producer: "billing", Name: "InvoicePaid", Type: "billing.InvoicePaid", Version: 2}

	usersContract    = Contract{Service: "users", Publishes: []EventInfo{usersInfo}}
	billingContract  = Contract{Service: "billing", Publishes: []EventInfo{invoiceInfo}, Consumes: []EventInfo{usersInfo}}
	shippingContract = Contract{Service: "shipping", Consumes: []EventInfo{usersInfo, invoiceInfo}}
)

// testLogger keeps test output quiet unless EVGEN_TEST_LOG is set.
func testLogger() *slog.Logger {
	if os.Getenv("EVGEN_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// fastRetry keeps retry waits short in tests.
var fastRetry = RetryPolicy{MaxAttempts: 3, Backoff: Backoff{Initial: 5 * time.Millisecond, Max: 20 * time.Millisecond}}

func newService(t *testing.T, cfg Config) *Service {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = testLogger()
	}
	if cfg.Retry == (RetryPolicy{}) {
		cfg.Retry = fastRetry
	}
	if cfg.Connect == (Backoff{}) {
		cfg.Connect = Backoff{Initial: 20 * time.Millisecond, Max: 500 * time.Millisecond}
	}
	svc, err := NewService(cfg)
	if err != nil {
		t.Fatalf("NewService: %v", err)
	}
	t.Cleanup(func() { svc.Close() })
	return svc
}

// running is a service started by start; stop ends it and reports Run's
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

func start(t *testing.T, svc *Service) *running {
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

// eventually polls cond until it holds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// recorder collects what handlers saw, safely across goroutines.
type recorder struct {
	mu     sync.Mutex
	ids    []string
	users  []string
	metas  []Meta
	counts map[string]int
}

func (r *recorder) add(userID string, m Meta) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.counts == nil {
		r.counts = map[string]int{}
	}
	r.ids = append(r.ids, m.ID)
	r.users = append(r.users, userID)
	r.metas = append(r.metas, m)
	r.counts[m.ID]++
}

func (r *recorder) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.ids)
}

func (r *recorder) snapshot() ([]string, map[string]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	counts := make(map[string]int, len(r.counts))
	for k, v := range r.counts {
		counts[k] = v
	}
	return append([]string(nil), r.users...), counts
}

func (r *recorder) handler() EventHandler {
	return On(func(_ context.Context, e userRegistered, m Meta) error {
		r.add(e.UserID, m)
		return nil
	})
}
