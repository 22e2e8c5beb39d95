package amqp_test

import (
	"context"
	"errors"
	"log/slog"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/evgenhq/evgen/internal/servicetest"
	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store/memory"
)

// While RabbitMQ blocks publishers (a memory alarm), a Publish ends at its
// deadline with ErrBrokerBlocked instead of hanging in a socket write, a
// consumer's dead-letter copy gives up at PublishTimeout instead of
// hanging the worker, and publishing works again once the alarm clears.
// The events are large so that a write fills the socket buffers, which is
// where the old code hung.
func TestBrokerBlockedPublishMeetsItsDeadline(t *testing.T) {
	const (
		publishTimeout = 2 * time.Second
		slack          = time.Second
	)
	b := servicetest.BrokerAt(t, testenv.ExclusiveBroker(t))
	gate := make(chan struct{})
	failed := make(chan time.Time, 64)
	tap := &logTap{msg: "dead-lettering failed, requeueing", got: make(chan slog.Record, 64)}
	// The events are over the default MaxEventBytes on purpose.
	const maxEventBytes = 64 << 20
	billing, _ := b.Service(t, servicetest.BillingContract, memory.New(), func(c *service.Config) {
		c.PublishTimeout = publishTimeout
		c.Logger = slog.New(tap)
		c.MaxEventBytes = maxEventBytes
	})
	err := billing.Register(runtime.On(func(_ context.Context, _ testenv.UserRegistered, _ runtime.Meta) error {
		<-gate
		select {
		case failed <- time.Now():
		default:
		}
		return runtime.Permanent(errors.New("refused while the broker blocks publishers"))
	}))
	if err != nil {
		t.Fatal(err)
	}
	servicetest.Start(t, billing)
	servicetest.Ready(t, billing)
	users, _ := b.Service(t, servicetest.UsersContract, memory.New(), func(c *service.Config) {
		c.PublishTimeout = publishTimeout
		c.MaxEventBytes = maxEventBytes
	})

	// Sent on the test's own connection, so that the services' publisher
	// connections have carried nothing large when the alarm starts.
	bigEvent, _ := service.Marshaler{}.Marshal(servicetest.Encode(t, testenv.UserRegistered{UserID: "big-1", Email: strings.Repeat("x", 24<<20)}))
	b.PublishRaw(t, b.NS+".users", runtime.RoutingKey(servicetest.UsersInfo.Type, servicetest.UsersInfo.Version), bigEvent)
	restore := blockPublishers(t)
	close(gate)

	var handlerFailed time.Time
	select {
	case handlerFailed = <-failed:
	case <-time.After(10 * time.Second):
		t.Fatal("handler not called within 10s")
	}
	select {
	case r := <-tap.got:
		took := r.Time.Sub(handlerFailed)
		if err := recordErr(r); !errors.Is(err, service.ErrBrokerBlocked) || took > publishTimeout+slack {
			t.Fatalf("dead-lettering gave up after %v with %v; want ErrBrokerBlocked within %v", took, err, publishTimeout+slack)
		}
		t.Logf("dead-letter copy gave up %v after the handler failed: %v", took.Round(time.Millisecond), recordErr(r))
	case <-time.After(publishTimeout + slack):
		t.Fatalf("the worker is still dead-lettering %v after the handler failed (PublishTimeout %v)", publishTimeout+slack, publishTimeout)
	}

	big := servicetest.Encode(t, testenv.UserRegistered{UserID: "big-2", Email: strings.Repeat("y", 24<<20)})
	ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
	defer cancel()
	began := time.Now()
	published := make(chan error, 1)
	go func() { published <- users.Publish(ctx, big) }()
	select {
	case err := <-published:
		took := time.Since(began)
		if !errors.Is(err, service.ErrBrokerBlocked) || took > publishTimeout+slack {
			t.Fatalf("Publish returned after %v with %v; want ErrBrokerBlocked within %v", took, err, publishTimeout+slack)
		}
		t.Logf("Publish gave up after %v: %v", took.Round(time.Millisecond), err)
	case <-time.After(publishTimeout + slack):
		t.Fatalf("Publish still running %v after its deadline", slack)
	}

	restore()
	after, cancelAfter := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancelAfter()
	if err := users.Publish(after, servicetest.Encode(t, testenv.UserRegistered{UserID: "after-the-alarm"})); err != nil {
		t.Fatalf("Publish after the alarm cleared: %v", err)
	}
	b.TakeDeadLetters(t, "billing", 1)
}

// blockPublishers raises a memory alarm on the broker, which blocks every
// connection that publishes, and returns a function that restores the
// watermark read before (it is also called when t ends, whatever happened)
// and waits for the alarm to clear.
func blockPublishers(t *testing.T) (restore func()) {
	t.Helper()
	orig := rabbitmqEval(t, "vm_memory_monitor:get_vm_memory_high_watermark().")
	restored := false
	restore = func() {
		if restored {
			return
		}
		restored = true
		if _, err := rabbitmqEvalErr("vm_memory_monitor:set_vm_memory_high_watermark(" + orig + ")."); err != nil {
			t.Errorf("restore the memory watermark to %s: %v", orig, err)
			return
		}
		awaitAlarms(t, func(alarms string) bool { return !strings.Contains(alarms, "memory") })
	}
	t.Cleanup(restore)
	if err := servicetest.Rabbitmqctl("set_vm_memory_high_watermark", "0.0001"); err != nil {
		t.Fatal(err)
	}
	awaitAlarms(t, func(alarms string) bool { return strings.Contains(alarms, "memory") })
	return restore
}

// awaitAlarms waits until the broker's alarms satisfy cond.
func awaitAlarms(t *testing.T, cond func(alarms string) bool) {
	t.Helper()
	testenv.Eventually(t, 30*time.Second, "the broker's memory alarm", func() bool {
		return cond(rabbitmqEval(t, "rabbit_alarm:get_alarms()."))
	})
}

// rabbitmqEval evaluates an Erlang expression on the broker and returns
// what it printed.
func rabbitmqEval(t *testing.T, expr string) string {
	t.Helper()
	out, err := rabbitmqEvalErr(expr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func rabbitmqEvalErr(expr string) (string, error) {
	out, err := exec.Command("rabbitmqctl", "eval", expr).CombinedOutput()
	if err != nil {
		return "", errors.New("rabbitmqctl eval " + expr + ": " + err.Error() + ": " + string(out))
	}
	return strings.TrimSpace(string(out)), nil
}

// logTap is a slog handler that hands over the records with one message.
type logTap struct {
	msg string
	got chan slog.Record
}

func (l *logTap) Enabled(context.Context, slog.Level) bool { return true }
func (l *logTap) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logTap) WithGroup(string) slog.Handler            { return l }

func (l *logTap) Handle(_ context.Context, r slog.Record) error {
	if r.Message == l.msg {
		select {
		case l.got <- r.Clone():
		default:
		}
	}
	return nil
}

// recordErr returns the "err" attribute of r.
func recordErr(r slog.Record) error {
	var err error
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "err" {
			err, _ = a.Value.Any().(error)
		}
		return err == nil
	})
	return err
}
