package servicetest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/url"
	"os/exec"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store"
)

// Rabbitmqctl runs one rabbitmqctl command against the machine's broker.
func Rabbitmqctl(args ...string) error {
	out, err := exec.Command("rabbitmqctl", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("rabbitmqctl %v: %v: %s", args, err, out)
	}
	return nil
}

// Broker is a test's view of the real RabbitMQ: a namespace of its own and
// a raw connection for looking at queues. What its services declare is
// deleted when the test ends.
type Broker struct {
	URL   string
	NS    string
	Conn  *amqp.Connection
	plans []service.TopologyPlan
}

// NewBroker is the broker testenv.AMQPURL names.
func NewBroker(t testing.TB) *Broker {
	t.Helper()
	return BrokerAt(t, testenv.AMQPURL(t))
}

// BrokerAt is the broker at url.
func BrokerAt(t testing.TB, url string) *Broker {
	t.Helper()
	conn, err := amqp.Dial(url)
	if err != nil {
		t.Fatalf("dial RabbitMQ: %v", err)
	}
	b := &Broker{URL: url, NS: testenv.UniqueName("evgentest"), Conn: conn}
	// Registered first, so it runs last: after every service stopped.
	t.Cleanup(func() {
		b.Conn.Close()
		for _, p := range b.plans {
			b.DeleteTopology(t, p)
		}
	})
	return b
}

// Service builds a service on the broker, in the test's namespace; its
// queues and exchanges are deleted when the test ends.
func (b *Broker) Service(t testing.TB, c runtime.Contract, st store.Store, mods ...func(*service.Config)) (*service.Service, *prometheus.Registry) {
	t.Helper()
	cfg := service.Config{Contract: c, Transport: service.AMQP(b.URL), Store: st, Namespace: b.NS}
	for _, m := range mods {
		m(&cfg)
	}
	b.plans = append(b.plans, service.Topology(cfg))
	return Quiet(t, cfg)
}

// DeleteAtEnd records plan, declared by a service the test built itself,
// for deletion when the test ends.
func (b *Broker) DeleteAtEnd(plan service.TopologyPlan) { b.plans = append(b.plans, plan) }

// DeleteTopology deletes plan's queues and exchanges, each on a fresh
// channel so that one failure does not hide the others. It dials anew: the
// test may have restarted the broker.
func (b *Broker) DeleteTopology(t testing.TB, plan service.TopologyPlan) {
	t.Helper()
	conn, err := amqp.Dial(b.URL)
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

// Channel is a channel on the broker's raw connection, closed when t ends.
func (b *Broker) Channel(t testing.TB) *amqp.Channel {
	t.Helper()
	ch, err := b.Conn.Channel()
	if err != nil {
		t.Fatalf("open channel: %v", err)
	}
	t.Cleanup(func() { ch.Close() })
	return ch
}

// Ready waits until svc declared its topology and consumes.
func Ready(t testing.TB, svc *service.Service) {
	t.Helper()
	select {
	case <-svc.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("service not ready after 10s")
	}
}

// Messages is the number of messages ready in service's queue; deliveries
// a consumer holds unacked are not counted.
func (b *Broker) Messages(t testing.TB, svc string) int {
	t.Helper()
	if b.Conn.IsClosed() { // the test restarted the broker
		conn, err := amqp.Dial(b.URL)
		if err != nil {
			t.Fatalf("dial RabbitMQ: %v", err)
		}
		b.Conn = conn
	}
	ch, err := b.Conn.Channel()
	if err != nil {
		t.Fatalf("open channel: %v", err)
	}
	defer ch.Close()
	name := service.QueueName(b.NS, svc)
	q, err := ch.QueueDeclarePassive(name, true, false, false, false, nil)
	if err != nil {
		t.Fatalf("inspect queue %s: %v", name, err)
	}
	return q.Messages
}

// Drain waits until nothing is ready in the services' queues, stops runs
// (the consumers of those queues) and fails t unless the queues are still
// empty. A stopped consumer holds nothing unacked (what it had not acked,
// the broker requeued), so empty queues then mean that every delivery was
// settled: a count checked after drain has seen every duplicate.
func (b *Broker) Drain(t testing.TB, services []string, runs ...*Running) {
	t.Helper()
	for _, s := range services {
		testenv.Eventually(t, 30*time.Second, "an empty "+s+" queue", func() bool { return b.Messages(t, s) == 0 })
	}
	for _, r := range runs {
		if err := r.Stop(); err != nil {
			t.Fatalf("stop consumer: %v", err)
		}
	}
	for _, s := range services {
		if n := b.Messages(t, s); n != 0 {
			t.Fatalf("%d deliveries of the %s queue were not settled when its consumers stopped", n, s)
		}
	}
}

// TakeDeadLetters waits until n events are in service's dead-letter queue
// and returns them (acked).
func (b *Broker) TakeDeadLetters(t testing.TB, svc string, n int) []amqp.Delivery {
	t.Helper()
	ch := b.Channel(t)
	var got []amqp.Delivery
	testenv.Eventually(t, 10*time.Second, "dead letters", func() bool {
		d, ok, err := ch.Get(service.DeadLetterQueueName(b.NS, svc), true)
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

// PublishRaw sends a hand-made publishing, as a foreign or broken producer
// would.
func (b *Broker) PublishRaw(t testing.TB, exchange, key string, p amqp.Publishing) {
	t.Helper()
	ch := b.Channel(t)
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

// BindSink declares a queue bound to producer's exchange with key, so that
// publishes are routable without a consuming service; deleted at the end.
func (b *Broker) BindSink(t testing.TB, producer, key string) {
	t.Helper()
	ch := b.Channel(t)
	exchange, queue := b.NS+"."+producer, b.NS+".sink"
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

// QueueState is the ready messages and consumers of queue; found is false
// when it does not exist.
func (b *Broker) QueueState(t testing.TB, queue string) (q amqp.Queue, found bool) {
	t.Helper()
	ch, err := b.Conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	q, err = ch.QueueDeclarePassive(queue, true, false, false, false, nil)
	var e *amqp.Error
	if errors.As(err, &e) && e.Code == amqp.NotFound {
		return q, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return q, true
}

// AddUser adds a broker user with the configure, write and read
// permissions (regular expressions of names, on vhost "/") and tags given,
// deleted when t ends, and returns the broker's URL with that user.
func (b *Broker) AddUser(t testing.TB, user, configure, write, read string, tags ...string) string {
	t.Helper()
	password := rand.Text()
	if err := Rabbitmqctl("add_user", user, password); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := Rabbitmqctl("delete_user", user); err != nil {
			t.Error(err)
		}
	})
	if err := Rabbitmqctl("set_permissions", "-p", "/", user, configure, write, read); err != nil {
		t.Fatal(err)
	}
	if err := Rabbitmqctl(append([]string{"set_user_tags", user}, tags...)...); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(b.URL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(user, password)
	return u.String()
}
