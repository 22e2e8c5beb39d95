package versions_test

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/evgenhq/evgen/internal/servicetest"
	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store"
	"github.com/evgenhq/evgen/runtime/store/memory"
)

// env is the test's namespace; everything its services declare is deleted
// when the test ends.
type env struct {
	url, ns string
	bus     *service.InProcessBus // nil on RabbitMQ
	queues  map[string]bool
	exchs   map[string]bool
}

// newInProcessEnv is an env whose services share an in-process bus.
func newInProcessEnv() *env {
	return &env{ns: testenv.UniqueName("evgenver"), bus: service.NewInProcessBus(), queues: map[string]bool{}, exchs: map[string]bool{}}
}

func (e *env) transport() service.Transport {
	if e.bus != nil {
		return service.InProcess(e.bus)
	}
	return service.AMQP(e.url)
}

// deadLetters is the number of events in svc's dead-letter queue.
func (e *env) deadLetters(t *testing.T, svc string) int {
	t.Helper()
	name := service.DeadLetterQueueName(e.ns, svc)
	if e.bus != nil {
		return len(e.bus.Waiting(name))
	}
	conn, err := amqp.Dial(e.url)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatalf("channel: %v", err)
	}
	defer ch.Close()
	q, err := ch.QueueDeclarePassive(name, true, false, false, false, nil)
	if err != nil {
		t.Fatalf("inspect %s: %v", name, err)
	}
	return q.Messages
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{url: testenv.AMQPURL(t), ns: testenv.UniqueName("evgenver"), queues: map[string]bool{}, exchs: map[string]bool{}}
	t.Cleanup(func() { e.cleanup(t) }) // first registered: runs after every service stopped
	return e
}

func (e *env) service(t *testing.T, c runtime.Contract) *service.Service {
	t.Helper()
	return e.serviceWith(t, c, memory.New())
}

func (e *env) serviceWith(t *testing.T, c runtime.Contract, st store.Store) *service.Service {
	t.Helper()
	cfg := service.Config{
		Contract: c, Transport: e.transport(), Store: st, Namespace: e.ns,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: prometheus.NewRegistry(),
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
	return servicetest.New(t, cfg)
}

// run starts svc, waits until it is ready, and returns a stop that waits
// for Run to return.
func run(t *testing.T, svc *service.Service) (stop func()) {
	t.Helper()
	return servicetest.Run(t, svc)
}

func (e *env) cleanup(t *testing.T) {
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
