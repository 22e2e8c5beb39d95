package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store"
)

// broker is a test's view of the real RabbitMQ: a namespace of its own and
// a raw connection for looking at queues.
type broker struct {
	url   string
	ns    string
	conn  *amqp.Connection
	plans []service.TopologyPlan
}

func newBroker(t testing.TB) *broker {
	t.Helper()
	return brokerAt(t, testenv.AMQPURL(t))
}

func brokerAt(t testing.TB, url string) *broker {
	t.Helper()
	conn, err := amqp.Dial(url)
	if err != nil {
		t.Fatalf("dial RabbitMQ: %v", err)
	}
	b := &broker{url: url, ns: testenv.UniqueName("evgentest"), conn: conn}
	// Registered first, so it runs last: after every service stopped.
	t.Cleanup(func() {
		b.conn.Close()
		for _, p := range b.plans {
			b.deleteTopology(t, p)
		}
	})
	return b
}

// service builds a service on the broker, in the test's namespace; its
// queues and exchanges are deleted when the test ends.
func (b *broker) service(t testing.TB, c runtime.Contract, st store.Store, mods ...func(*service.Config)) (*service.Service, *prometheus.Registry) {
	t.Helper()
	cfg := service.Config{Contract: c, Transport: service.AMQP(b.url), Store: st, Namespace: b.ns}
	for _, m := range mods {
		m(&cfg)
	}
	b.plans = append(b.plans, service.Topology(cfg))
	return newService(t, cfg)
}

// deleteTopology deletes plan's queues and exchanges, each on a fresh
// channel so that one failure does not hide the others. It dials anew: the
// test may have restarted the broker.
func (b *broker) deleteTopology(t testing.TB, plan service.TopologyPlan) {
	t.Helper()
	conn, err := amqp.Dial(b.url)
	if err != nil {
		t.Errorf("cleanup: dial RabbitMQ: %v", err)
		return
	}
	defer conn.Close()
	do := func(what string, f func(ch *amqp.Channel) error) {
		ch, err := conn.Channel()
		if err == nil {
			err = f(ch)
			ch.Close()
		}
		if err != nil {
			t.Errorf("cleanup: delete %s: %v", what, err)
		}
	}
	for _, q := range plan.Queues {
		do(q.Name, func(ch *amqp.Channel) error { _, err := ch.QueueDelete(q.Name, false, false, false); return err })
	}
	for _, e := range plan.Exchanges {
		do(e.Name, func(ch *amqp.Channel) error { return ch.ExchangeDelete(e.Name, false, false) })
	}
}

func (b *broker) channel(t testing.TB) *amqp.Channel {
	t.Helper()
	ch, err := b.conn.Channel()
	if err != nil {
		t.Fatalf("open channel: %v", err)
	}
	t.Cleanup(func() { ch.Close() })
	return ch
}

// ready waits until svc declared its topology and consumes.
func ready(t *testing.T, svc *service.Service) {
	t.Helper()
	select {
	case <-svc.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("service not ready after 10s")
	}
}

// messages is the number of messages ready in service's queue; deliveries
// a consumer holds unacked are not counted.
func (b *broker) messages(t testing.TB, svc string) int {
	t.Helper()
	if b.conn.IsClosed() { // the test restarted the broker
		conn, err := amqp.Dial(b.url)
		if err != nil {
			t.Fatalf("dial RabbitMQ: %v", err)
		}
		b.conn = conn
	}
	ch, err := b.conn.Channel()
	if err != nil {
		t.Fatalf("open channel: %v", err)
	}
	defer ch.Close()
	name := service.QueueName(b.ns, svc)
	q, err := ch.QueueDeclarePassive(name, true, false, false, false, nil)
	if err != nil {
		t.Fatalf("inspect queue %s: %v", name, err)
	}
	return q.Messages
}

// drain waits until nothing is ready in the services' queues, stops runs
// (the consumers of those queues) and fails t unless the queues are still
// empty. A stopped consumer holds nothing unacked (what it had not acked,
// the broker requeued), so empty queues then mean that every delivery was
// settled: a count checked after drain has seen every duplicate.
func (b *broker) drain(t *testing.T, services []string, runs ...*running) {
	t.Helper()
	for _, s := range services {
		testenv.Eventually(t, 30*time.Second, "an empty "+s+" queue", func() bool { return b.messages(t, s) == 0 })
	}
	for _, r := range runs {
		if err := r.stop(); err != nil {
			t.Fatalf("stop consumer: %v", err)
		}
	}
	for _, s := range services {
		if n := b.messages(t, s); n != 0 {
			t.Fatalf("%d deliveries of the %s queue were not settled when its consumers stopped", n, s)
		}
	}
}

// takeDeadLetters waits until n events are in service's dead-letter queue
// and returns them (acked).
func (b *broker) takeDeadLetters(t *testing.T, service string, n int) []amqp.Delivery {
	t.Helper()
	ch := b.channel(t)
	var got []amqp.Delivery
	testenv.Eventually(t, 10*time.Second, "dead letters", func() bool {
		d, ok, err := ch.Get(b.ns+"."+service+".dlq", true)
		if err != nil {
			t.Fatalf("get from dead-letter queue: %v", err)
		}
		if ok {
			got = append(got, d)
		}
		return len(got) >= n
	})
	return got
}

// publishRaw sends a hand-made publishing, as a foreign or broken producer
// would.
func (b *broker) publishRaw(t *testing.T, exchange, key string, p amqp.Publishing) {
	t.Helper()
	ch := b.channel(t)
	if err := ch.Confirm(false); err != nil {
		t.Fatal(err)
	}
	dc, err := ch.PublishWithDeferredConfirm(exchange, key, true, false, p)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if ok, err := dc.WaitContext(ctx); !ok || err != nil {
		t.Fatalf("raw publish not confirmed: %v", err)
	}
}

// bindSink declares a queue bound to producer's exchange with key, so that
// publishes are routable without a consuming service; deleted at the end.
func (b *broker) bindSink(t testing.TB, producer, key string) {
	t.Helper()
	ch := b.channel(t)
	exchange, queue := b.ns+"."+producer, b.ns+".sink"
	if err := ch.ExchangeDeclare(exchange, amqp.ExchangeTopic, true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := ch.QueueDeclare(queue, true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	if err := ch.QueueBind(queue, key, exchange, false, nil); err != nil {
		t.Fatal(err)
	}
	b.plans = append(b.plans, service.TopologyPlan{Queues: []service.QueueSpec{{Name: queue}}, Exchanges: []service.ExchangeSpec{{Name: exchange}}})
}
