package amqp_test

import (
	"context"
	"fmt"
	"regexp"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/evgenhq/evgen/internal/servicetest"
	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store/memory"
	amqptransport "github.com/evgenhq/evgen/runtime/transport/amqp"
)

// oldQueue declares billing's queue as a runtime before the ".queue"
// suffix did ("<ns>.billing", and its dead-letter queue) and binds it to
// what billing consumes; the test deletes it at the end if the service
// did not.
func oldQueue(t *testing.T, b *servicetest.Broker) string {
	return oldQueueOf(t, b, servicetest.BillingContract)
}

// oldQueueOf is oldQueue for the service of c, which consumes
// servicetest.UsersInfo.
func oldQueueOf(t *testing.T, b *servicetest.Broker, c runtime.Contract) string {
	t.Helper()
	old, dlq := service.OldQueueName(b.NS, c.Service), service.DeadLetterQueueName(b.NS, c.Service)
	ch := b.Channel(t)
	if err := ch.ExchangeDeclare(service.ExchangeName(b.NS, "users"), amqp.ExchangeTopic, true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	// The queues as the runtime declares them, the service's under its old
	// name.
	for _, q := range service.Topology(service.Config{Contract: c, Namespace: b.NS}).Queues {
		switch q.Name {
		case service.QueueName(b.NS, c.Service):
			q.Name = old
		case dlq:
		default:
			continue
		}
		if _, err := ch.QueueDeclare(q.Name, true, false, false, false, service.QueueArguments(q)); err != nil {
			t.Fatal(err)
		}
	}
	if err := ch.QueueBind(old, runtime.RoutingKey(servicetest.UsersInfo.Type, servicetest.UsersInfo.Version), service.ExchangeName(b.NS, "users"), false, nil); err != nil {
		t.Fatal(err)
	}
	b.DeleteAtEnd(service.TopologyPlan{Queues: []service.QueueSpec{{Name: old}, {Name: dlq}}})
	return old
}

// publishUsers publishes n UserRegistered events, with user IDs from
// prefix, as users.
func publishUsers(t *testing.T, users *service.Service, prefix string, n int) {
	t.Helper()
	for i := range n {
		if err := users.Publish(context.Background(), servicetest.Encode(t, testenv.UserRegistered{UserID: fmt.Sprintf("%s-%d", prefix, i)})); err != nil {
			t.Fatal(err)
		}
	}
}

// awaitMoved waits until rec saw n events and the old queue is gone, then
// stops run once the new queue is drained, and checks that each event was
// applied once.
func awaitMoved(t *testing.T, b *servicetest.Broker, rec *servicetest.Recorder, n int, old string, run *servicetest.Running) {
	t.Helper()
	testenv.Eventually(t, 30*time.Second, fmt.Sprintf("%d events applied", n), func() bool { return rec.Len() >= n })
	testenv.Eventually(t, 30*time.Second, "the old queue "+old+" deleted", func() bool { _, found := b.QueueState(t, old); return !found })
	b.Drain(t, []string{"billing"}, run)
	_, counts := rec.Snapshot()
	if len(counts) != n {
		t.Errorf("%d distinct events applied, want %d", len(counts), n)
	}
	for id, c := range counts {
		if c != 1 {
			t.Errorf("event %s applied %d times, want once", id, c)
		}
	}
}

// An older version of billing left events in its queue "<ns>.billing",
// some of them also in the new queue (as in the moment both are bound).
// The new version applies each of them once, and the events published
// after it started, and deletes the old queue, in ordered and in
// concurrent mode (whose deliveries settle out of order, so the acks
// through a run of settled ones are what the move must flush).
func TestOldQueueIsMovedThenDeleted(t *testing.T) {
	for _, concurrency := range []int{1, 8} {
		t.Run(fmt.Sprintf("concurrency %d", concurrency), func(t *testing.T) { testOldQueueMoved(t, concurrency) })
	}
}

func testOldQueueMoved(t *testing.T, concurrency int) {
	b := servicetest.NewBroker(t)
	old := oldQueue(t, b)
	users, _ := b.Service(t, servicetest.UsersContract, memory.New())
	publishUsers(t, users, "old-only", 10)

	var rec servicetest.Recorder
	billing, _ := b.Service(t, servicetest.BillingContract, memory.New(), func(c *service.Config) { c.Concurrency = concurrency })
	if err := billing.Register(rec.Handler()); err != nil {
		t.Fatal(err)
	}
	declarePlan(t, b, billing.Topology())
	publishUsers(t, users, "both", 5)
	if q, _ := b.QueueState(t, old); q.Messages != 15 {
		t.Fatalf("%d events in the old queue before the upgrade, want 15", q.Messages)
	}

	run := servicetest.Start(t, billing)
	servicetest.Ready(t, billing)
	publishUsers(t, users, "new", 5)
	awaitMoved(t, b, &rec, 20, old, run)
}

// declarePlan declares plan as the service would, before it runs.
func declarePlan(t *testing.T, b *servicetest.Broker, plan service.TopologyPlan) {
	t.Helper()
	ch := b.Channel(t)
	for _, e := range plan.Exchanges {
		if err := ch.ExchangeDeclare(e.Name, amqp.ExchangeTopic, true, false, false, false, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range plan.Queues {
		if _, err := ch.QueueDeclare(q.Name, true, false, false, false, service.QueueArguments(q)); err != nil {
			t.Fatal(err)
		}
	}
	for _, bd := range plan.Bindings {
		if err := ch.QueueBind(bd.Queue, bd.RoutingKey, bd.Exchange, false, nil); err != nil {
			t.Fatal(err)
		}
	}
}

// A replica of the older version still consumes the old queue: the new
// version consumes its new queue meanwhile, and moves the old queue once
// that replica is gone, each event applied once.
func TestOldQueueInUseIsMovedOnceFree(t *testing.T) {
	amqptransport.SetMigrationRetry(t, 50*time.Millisecond)
	b := servicetest.NewBroker(t)
	old := oldQueue(t, b)
	users, _ := b.Service(t, servicetest.UsersContract, memory.New())
	publishUsers(t, users, "old", 5)
	// The old replica holds one event unacked and consumes no more.
	oldReplica, err := b.Conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	defer oldReplica.Close()
	if err := oldReplica.Qos(1, 0, false); err != nil {
		t.Fatal(err)
	}
	held, err := oldReplica.Consume(old, "old-replica", false, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	<-held

	var rec servicetest.Recorder
	billing, _ := b.Service(t, servicetest.BillingContract, memory.New())
	if err := billing.Register(rec.Handler()); err != nil {
		t.Fatal(err)
	}
	run := servicetest.Start(t, billing)
	servicetest.Ready(t, billing)
	publishUsers(t, users, "new", 3)
	testenv.Eventually(t, 30*time.Second, "the 3 new events applied", func() bool { return rec.Len() >= 3 })
	if q, _ := b.QueueState(t, old); q.Messages != 4 || q.Consumers != 1 {
		t.Fatalf("old queue: %d ready, %d consumers while the old replica runs, want 4 and 1", q.Messages, q.Consumers)
	}

	if err := oldReplica.Close(); err != nil { // its unacked event goes back
		t.Fatal(err)
	}
	awaitMoved(t, b, &rec, 8, old, run)
}

// A service whose broker user may not touch its old queue's name (a
// consumer-only service with the permissions evgen topology gives without
// -old-queues) still runs on its new queue, and leaves the old queue as it
// is: its events, and its bindings, which go on filling it.
func TestOldQueueWithoutRightsIsLeft(t *testing.T) {
	b := servicetest.NewBroker(t)
	mailer := runtime.Contract{Service: "mailer", Consumes: []runtime.EventInfo{servicetest.UsersInfo}}
	old := oldQueueOf(t, b, mailer)
	users, _ := b.Service(t, servicetest.UsersContract, memory.New())
	publishUsers(t, users, "old", 3)
	q := regexp.QuoteMeta
	own := "^(" + q(service.ExchangeName(b.NS, "users")) + "|" + q(service.QueueName(b.NS, "mailer")) + "|" +
		q(service.DeadLetterQueueName(b.NS, "mailer")) + "|" + q("amq.default") + ")$"
	url := b.AddUser(t, b.NS+"-mailer", own, own, own)

	var rec servicetest.Recorder
	svc, _ := b.Service(t, mailer, memory.New(), func(c *service.Config) { c.Transport = service.AMQP(url) })
	if err := svc.Register(rec.Handler()); err != nil {
		t.Fatal(err)
	}
	servicetest.Start(t, svc)
	servicetest.Ready(t, svc)
	publishUsers(t, users, "new", 2)
	testenv.Eventually(t, 30*time.Second, "the 2 new events applied", func() bool { return rec.Len() >= 2 })
	if q, found := b.QueueState(t, old); !found || q.Messages != 5 {
		t.Errorf("old queue: found %v, %d messages; want it kept with its 3 events and the 2 new", found, q.Messages)
	}
}
