package bounds_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evgenhq/evgen/internal/golden/bounds/auditevents"
	"github.com/evgenhq/evgen/internal/golden/bounds/shopevents"
	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store/memory"
)

// The bounds of shop.Signed on both sides, over the in-process transport:
// shop's generated publisher refuses an event out of bounds before
// anything is sent, and audit's generated decoder rejects one that a
// producer without the bounds sent, so the runtime dead-letters it with
// the reason.

// unbounded is shop.Signed as a producer built before the bounds (or
// outside Go) sends it: no Validate of its own.
type unbounded struct {
	Email string   `json:"email"`
	Tags  []string `json:"tags"`
}

func (unbounded) EventType() string  { return "shop.Signed" }
func (unbounded) EventVersion() int  { return 1 }
func (unbounded) Validate() error    { return nil }
func (u unbounded) EventKey() string { return u.Email }

// signups records the emails audit applied.
type signups struct {
	mu     sync.Mutex
	emails []string
}

func (s *signups) HandleSigned(_ context.Context, e auditevents.Signed, _ runtime.Meta) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.emails = append(s.emails, e.Email)
	return nil
}

func (s *signups) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.emails)
}

func TestBoundsOnBothSides(t *testing.T) {
	ctx := context.Background()
	bus := service.NewInProcessBus()
	applied := &signups{}
	audit := newService(t, bus, auditevents.Contract)
	if err := auditevents.RegisterHandlers(audit, applied); err != nil {
		t.Fatal(err)
	}
	start(t, audit)
	shop := newService(t, bus, shopevents.Contract)
	long := strings.Repeat("a", 250) + "@b.io" // 255 characters, one above max_length

	err := shopevents.NewPublisher(shop).PublishSigned(ctx, shopevents.Signed{Email: long})
	if err == nil || !strings.Contains(err.Error(), "email: is longer than the contract's limit of 254 characters") {
		t.Fatalf("PublishSigned(255-character email) = %v, want the max_length error", err)
	}
	if n := len(bus.Published()); n != 0 {
		t.Fatalf("%d messages on the bus after a refused publish, want none", n)
	}

	for _, e := range []unbounded{{Email: long}, {Email: "no-at-sign"}, {Email: "ok@b.io"}} {
		if err := runtime.Publish(ctx, shop, e); err != nil {
			t.Fatal(err)
		}
	}
	testenv.Eventually(t, 10*time.Second, "ok@b.io applied", func() bool { return applied.count() == 1 })
	testenv.Eventually(t, 10*time.Second, "two dead letters", func() bool { return len(bus.Waiting("evgen.audit.dlq")) == 2 })
	for i, want := range []string{
		"email: is longer than the contract's limit of 254 characters",
		`email: does not match the pattern "^[^@]+@[^@]+$"`,
	} {
		if reason := bus.Waiting("evgen.audit.dlq")[i].Metadata.Get(service.HeaderDLQError); !strings.Contains(reason, want) {
			t.Errorf("dead letter %d: reason %q, want it to contain %q", i, reason, want)
		}
	}
}

// newService builds a service of contract c on bus.
func newService(t *testing.T, bus *service.InProcessBus, c runtime.Contract) *service.Service {
	t.Helper()
	svc, err := service.New(service.Config{Contract: c, Transport: service.InProcess(bus), Store: memory.New()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	return svc
}

// start runs svc until the test ends and waits until it consumes.
func start(t *testing.T, svc *service.Service) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("Run: %v", err)
		}
	})
	select {
	case <-svc.Ready():
	case err := <-done:
		done <- err // for the cleanup
		t.Fatalf("Run ended before ready: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("service not ready within 10s")
	}
}
