package amqp_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/evgenhq/evgen/internal/servicetest"
	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store/memory"
)

// After a broker restart, a service with the default Config.Connect
// publishes (confirmed) and consumes again within 2s of the broker
// accepting connections, however long the broker was away: the restart
// waits until both connections have backed off to their longest wait.
func TestReconnectWithinTwoSecondsOfBrokerRestart(t *testing.T) {
	const bound = 2 * time.Second
	url := testenv.ExclusiveBroker(t)
	b := servicetest.BrokerAt(t, url)
	// Runs before brokerAt's cleanup: the broker is up again whatever
	// happened, and ready for the topology to be deleted.
	t.Cleanup(func() {
		if err := servicetest.Rabbitmqctl("start_app"); err != nil {
			t.Errorf("restart RabbitMQ: %v", err)
		}
		if err := servicetest.Rabbitmqctl("await_startup"); err != nil {
			t.Errorf("await RabbitMQ: %v", err)
		}
	})

	var handled, confirmed timeline
	billingLog, usersLog := &attemptTap{}, &attemptTap{}
	billing := defaultConnectService(t, b, servicetest.BillingContract, billingLog)
	err := billing.Register(runtime.On(func(context.Context, testenv.UserRegistered, runtime.Meta) error {
		handled.add(time.Now())
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	servicetest.Start(t, billing)
	servicetest.Ready(t, billing)
	users := defaultConnectService(t, b, servicetest.UsersContract, usersLog)
	stop := publishSteadily(users, &confirmed)
	defer stop()

	testenv.Eventually(t, 10*time.Second, "events flowing before the restart", func() bool { return confirmed.len() >= 10 && handled.len() >= 10 })
	if err := servicetest.Rabbitmqctl("stop_app"); err != nil {
		t.Fatal(err)
	}
	accepted := firstConnection(t, url)
	testenv.Eventually(t, 60*time.Second, "both connections to back off to their longest wait", func() bool {
		return billingLog.attempts("consumer") >= 8 && usersLog.attempts("publisher") >= 8
	})
	if err := servicetest.Rabbitmqctl("start_app"); err != nil {
		t.Fatal(err)
	}
	back := accepted()
	testenv.Eventually(t, 30*time.Second, "publishing and consuming after the restart", func() bool {
		return !confirmed.firstAfter(back).IsZero() && !handled.firstAfter(back).IsZero()
	})
	pub, cons := confirmed.firstAfter(back).Sub(back), handled.firstAfter(back).Sub(back)
	t.Logf("after the broker accepted connections: first confirmed publish %v, first handled event %v", pub.Round(time.Millisecond), cons.Round(time.Millisecond))
	if took := max(pub, cons); took > bound {
		t.Errorf("the services worked again %v after the broker accepted connections; want at most %v", took.Round(time.Millisecond), bound)
	}
}

// defaultConnectService builds a service on b with the default connect
// backoff (newService shortens it for other tests); its topology is deleted
// when t ends.
func defaultConnectService(t *testing.T, b *servicetest.Broker, c runtime.Contract, log slog.Handler) *service.Service {
	t.Helper()
	cfg := service.Config{
		Contract:  c,
		Transport: service.AMQP(b.URL),
		Store:     memory.New(),
		Namespace: b.NS,
		Logger:    slog.New(log),
		Metrics:   prometheus.NewRegistry(),
	}
	b.DeleteAtEnd(service.Topology(cfg))
	svc, err := service.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	return svc
}

// publishSteadily publishes from one goroutine until the returned function
// is called, recording when each publish was confirmed.
func publishSteadily(p runtime.Publisher, confirmed *timeline) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			if runtime.Publish(ctx, p, testenv.UserRegistered{UserID: fmt.Sprint(i)}) == nil {
				confirmed.add(time.Now())
			}
			cancel()
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done); wg.Wait() }) }
}

// firstConnection dials url every 10ms from now on and returns a function
// that waits for the first AMQP connection that succeeds and returns when
// it did.
func firstConnection(t *testing.T, url string) func() time.Time {
	t.Helper()
	at := make(chan time.Time, 1)
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			if conn, err := amqp.Dial(url); err == nil {
				at <- time.Now()
				conn.Close()
				return
			}
			select {
			case <-quit:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	t.Cleanup(func() { close(quit); wg.Wait() })
	return func() time.Time {
		t.Helper()
		select {
		case when := <-at:
			return when
		case <-time.After(60 * time.Second):
			t.Fatal("the broker accepted no connection within 60s of start_app")
			return time.Time{}
		}
	}
}

// timeline is a list of instants, safe across goroutines.
type timeline struct {
	mu  sync.Mutex
	ats []time.Time
}

func (l *timeline) add(at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ats = append(l.ats, at)
}

func (l *timeline) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.ats)
}

// firstAfter returns the first instant after t, or the zero time.
func (l *timeline) firstAfter(t time.Time) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, at := range l.ats {
		if at.After(t) {
			return at
		}
	}
	return time.Time{}
}

// attemptTap is a slog handler that counts, per connection role, the
// failed connection attempts since the last successful one.
type attemptTap struct {
	mu     sync.Mutex
	failed map[string]int
}

func (a *attemptTap) Enabled(context.Context, slog.Level) bool { return true }
func (a *attemptTap) WithAttrs([]slog.Attr) slog.Handler       { return a }
func (a *attemptTap) WithGroup(string) slog.Handler            { return a }

func (a *attemptTap) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "connect to RabbitMQ failed, retrying" {
		return nil
	}
	var role string
	var attempt int64
	r.Attrs(func(at slog.Attr) bool {
		switch at.Key {
		case "role":
			role = at.Value.String()
		case "attempt":
			attempt = at.Value.Int64()
		}
		return true
	})
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.failed == nil {
		a.failed = map[string]int{}
	}
	a.failed[role] = int(attempt)
	return nil
}

// attempts returns the number of the last failed attempt of role.
func (a *attemptTap) attempts(role string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.failed[role]
}
