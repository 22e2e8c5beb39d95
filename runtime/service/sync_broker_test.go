package service_test

import (
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/evgenhq/evgen/internal/servicetest"
	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store"
)

// rcEnv is a recovery test's namespace on the real RabbitMQ. Everything
// its services declare (event logs and resync queues included) is deleted
// when the test ends.
type rcEnv struct {
	url, ns string
	queues  map[string]bool
	exchs   map[string]bool
}

func newRCEnv(t *testing.T) *rcEnv {
	t.Helper()
	e := &rcEnv{url: testenv.AMQPURL(t), ns: testenv.UniqueName("evgenrc"), queues: map[string]bool{}, exchs: map[string]bool{}}
	// Registered first, so it runs after every service stopped.
	t.Cleanup(func() { e.cleanup(t) })
	return e
}

// service builds a service in the test's namespace with quiet logs, short
// backoffs and a registry of its own.
func (e *rcEnv) service(t *testing.T, c runtime.Contract, st store.Store) (*service.Service, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	cfg := service.Config{
		Contract: c, Transport: service.AMQP(e.url), Store: st, Namespace: e.ns,
		Logger: rcLogger(), Metrics: reg,
		Retry:   service.RetryPolicy{MaxAttempts: 2, Backoff: service.Backoff{Initial: 5 * time.Millisecond, Max: 10 * time.Millisecond}},
		Connect: service.Backoff{Initial: 20 * time.Millisecond, Max: 500 * time.Millisecond},
	}
	plan := service.Topology(cfg)
	for _, q := range plan.Queues {
		e.queues[q.Name] = true
	}
	for _, x := range plan.Exchanges {
		e.exchs[x.Name] = true
	}
	e.queues[e.ns+"."+c.Service+".resync"] = true
	svc, err := service.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	return svc, reg
}

func rcLogger() *slog.Logger {
	if os.Getenv("EVGEN_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// run starts svc and waits until it is ready; it runs until stop is
// called or the test ends.
func (e *rcEnv) run(t *testing.T, svc *service.Service) (stop func()) {
	t.Helper()
	return servicetest.Run(t, svc)
}

// messages returns how many messages a classic queue holds.
func (e *rcEnv) messages(t *testing.T, queue string) int {
	t.Helper()
	conn, err := amqp.Dial(e.url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	q, err := ch.QueueDeclarePassive(queue, true, false, false, false, nil)
	if err != nil {
		t.Fatalf("inspect queue %s: %v", queue, err)
	}
	return q.Messages
}

func (e *rcEnv) cleanup(t *testing.T) {
	t.Helper()
	conn, err := amqp.Dial(e.url)
	if err != nil {
		t.Errorf("cleanup: dial: %v", err)
		return
	}
	defer conn.Close()
	do := func(f func(ch *amqp.Channel) error) {
		ch, err := conn.Channel()
		if err == nil {
			err = f(ch)
			ch.Close()
		}
		if err != nil {
			t.Errorf("cleanup: %v", err)
		}
	}
	for q := range e.queues {
		do(func(ch *amqp.Channel) error { _, err := ch.QueueDelete(q, false, false, false); return err })
	}
	for x := range e.exchs {
		do(func(ch *amqp.Channel) error { return ch.ExchangeDelete(x, false, false) })
	}
}
