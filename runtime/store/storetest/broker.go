package storetest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/evgenhq/evgen/internal/servicetest"
	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store"
)

// quiet drops the services' logs: the test kills a relay on purpose.
var quiet = slog.New(slog.DiscardHandler)

type userRegistered struct {
	UserID string `json:"user_id"`
}

func (userRegistered) EventType() string  { return "users.UserRegistered" }
func (userRegistered) EventVersion() int  { return 1 }
func (e userRegistered) EventKey() string { return e.UserID }
func (e userRegistered) Validate() error {
	if e.UserID == "" {
		return errors.New("user_id: required")
	}
	return nil
}

var usersRegistered = runtime.EventInfo{Producer: "users", Name: "UserRegistered", Type: "users.UserRegistered", Version: 1, Key: "user_id"}

// batchPublisher is the Service as a relay sees it.
type batchPublisher interface {
	runtime.Publisher
	store.BatchPublisher
}

// errKilled fails the publishes of a relay killed after their confirm.
var errKilled = errors.New("relay killed after the broker confirmed")

// killAfter is the broker publisher of a relay that crashes right after
// its n-th confirmed publish, before the relay could mark it sent. It
// passes batches on whole (store.BatchPublisher), as the Service takes
// them from a relay.
type killAfter struct {
	pub    batchPublisher
	n      int64
	sent   atomic.Int64
	cancel context.CancelFunc
}

func (k *killAfter) Publish(ctx context.Context, msgs ...*message.Message) error {
	if err := k.pub.Publish(ctx, msgs...); err != nil {
		return err // unroutable before the consumer bound its queue: retried
	}
	if k.sent.Add(int64(len(msgs))) >= k.n {
		k.cancel()
		return errKilled
	}
	return nil
}

// PublishBatch implements store.BatchPublisher: once the n-th event is
// confirmed, every confirmed event of the batch reports the crash.
func (k *killAfter) PublishBatch(ctx context.Context, msgs []*message.Message) []error {
	errs := k.pub.PublishBatch(ctx, msgs)
	if k.sent.Add(int64(confirmed(errs))) >= k.n {
		k.cancel()
		for i, err := range errs {
			if err == nil {
				errs[i] = errKilled
			}
		}
	}
	return errs
}

// counting counts the publishes the broker confirmed.
type counting struct {
	pub  batchPublisher
	sent atomic.Int64
}

func (c *counting) Publish(ctx context.Context, msgs ...*message.Message) error {
	if err := c.pub.Publish(ctx, msgs...); err != nil {
		return err
	}
	c.sent.Add(int64(len(msgs)))
	return nil
}

// PublishBatch implements store.BatchPublisher.
func (c *counting) PublishBatch(ctx context.Context, msgs []*message.Message) []error {
	errs := c.pub.PublishBatch(ctx, msgs)
	c.sent.Add(int64(confirmed(errs)))
	return errs
}

func confirmed(errs []error) int {
	n := 0
	for _, err := range errs {
		if err == nil {
			n++
		}
	}
	return n
}

// RunBroker is issue 4's test 7 on the real broker at url: a rolled-back
// transaction publishes nothing; 40 committed events reach a consuming
// service through RabbitMQ, and each takes effect there once although the
// relay is killed in the middle (after a confirm, before the mark) and
// restarted, re-sending what it had not marked. The producer's outbox and
// the consumer's inbox are two stores from newStore.
func RunBroker(t *testing.T, url string, newStore NewStore) {
	ns := testenv.UniqueName("evgen_outbox")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	outbox := newStore(t)
	users := newService(t, service.Config{
		Contract: runtime.Contract{Service: "users", Publishes: []runtime.EventInfo{usersRegistered}},
		Store:    outbox, Transport: service.AMQP(url), Namespace: ns, Logger: quiet,
	})
	inbox := newStore(t)
	fx := newEffects(t, inbox)
	var mu sync.Mutex
	metas := map[string]runtime.Meta{}
	handled := map[string]int{}
	billing := newService(t, service.Config{
		Contract: runtime.Contract{Service: "billing", Consumes: []runtime.EventInfo{usersRegistered}},
		Store:    inbox, Transport: service.AMQP(url), Namespace: ns, Logger: quiet,
	})
	err := billing.Register(runtime.On(func(ctx context.Context, e userRegistered, m runtime.Meta) error {
		if tx := service.Tx(ctx); fx != nil {
			if _, err := tx.ExecContext(ctx, fmt.Sprintf("INSERT INTO %s (event_id) VALUES ('%s')", fx.table, m.ID)); err != nil {
				return err
			}
		}
		mu.Lock()
		defer mu.Unlock()
		metas[m.ID] = m
		handled[m.ID]++
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	deleteTopology(t, url, users.Topology(), billing.Topology())
	stopBilling := run(t, ctx, billing.Run)

	var rolledBack []string
	if outbox.DB() != nil {
		rolledBack = produce(t, outbox, 1, false)
	}
	committed := produce(t, outbox, 40, true)

	relayCtx, kill := context.WithCancel(ctx)
	first := &killAfter{pub: users, n: 16, cancel: kill}
	if err := outbox.Relay(relayCtx, first); err != nil {
		t.Fatalf("first relay: %v", err)
	}
	second := &counting{pub: users}
	stopRelay := run(t, ctx, func(ctx context.Context) error { return outbox.Relay(ctx, second) })
	testenv.Eventually(t, waitTimeout, "the committed events handled", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(handled) >= len(committed)
	})
	waitBacklogEmpty(t, outbox) // every confirm returned to the relay and was counted
	stopRelay()
	drain(t, url, service.QueueName(ns, "billing"), stopBilling)

	mu.Lock() // the handler may not run any more, but the race detector cannot know
	defer mu.Unlock()
	if got := slices.Sorted(maps.Keys(handled)); !slices.Equal(got, sorted(committed)) {
		t.Errorf("handled %v, want the committed %v", got, committed)
	}
	for id, n := range handled {
		if n != 1 {
			t.Errorf("event %s handled %d times", id, n)
		}
	}
	if fx != nil {
		if got := fx.ids(t); !slices.Equal(got, sorted(committed)) {
			t.Errorf("the handler's table holds %v, want each committed event once: %v", got, committed)
		}
	}
	for _, id := range rolledBack {
		if handled[id] > 0 {
			t.Errorf("event %s of a rolled-back transaction was handled", id)
		}
	}
	if resent := first.sent.Load() + second.sent.Load() - int64(len(committed)); resent < 1 {
		t.Errorf("the killed relay re-sent %d events; the test needs at least the one it confirmed but did not mark", resent)
	} else {
		t.Logf("relays confirmed %d + %d publishes for %d events; the consumer's inbox dropped %d duplicates", first.sent.Load(), second.sent.Load(), len(committed), resent)
	}
	for _, id := range committed {
		if m := metas[id]; m.Type != "users.UserRegistered" || m.Version != 1 || m.Source != "users" || m.Subject == "" {
			t.Errorf("event %s arrived with metadata %+v", id, m)
			break
		}
	}
}

// produce publishes n events through the outbox in one transaction per
// event, committed or rolled back, and returns their IDs. A store without
// SQL publishes with Publisher(nil), as if committed.
func produce(t *testing.T, s store.Store, n int, commit bool) []string {
	t.Helper()
	ctx := context.Background()
	ids := make([]string, n)
	for i := range n {
		ids[i] = fmt.Sprintf("0190a1b2-0000-7000-8000-%012d", i+boolInt(!commit)*1000)
		e := userRegistered{UserID: fmt.Sprintf("u%d", i)}
		if s.DB() == nil {
			if err := runtime.Publish(ctx, s.Publisher(nil), e, runtime.WithID(ids[i])); err != nil {
				t.Fatal(err)
			}
			continue
		}
		tx, err := s.DB().BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := runtime.Publish(ctx, s.Publisher(tx), e, runtime.WithID(ids[i])); err != nil {
			t.Fatal(err)
		}
		end := tx.Rollback
		if commit {
			end = tx.Commit
		}
		if err := end(); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func sorted(ids []string) []string { return slices.Sorted(slices.Values(ids)) }

func newService(t *testing.T, cfg service.Config) *service.Service {
	t.Helper()
	return servicetest.New(t, cfg)
}

// run runs fn in the background; stop cancels it and fails t if it
// returned an error.
func run(t *testing.T, ctx context.Context, fn func(context.Context) error) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- fn(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// drain waits until queue holds nothing ready, stops its consumer and
// fails t unless it is still empty: a stopped consumer holds nothing
// unacked, so every delivery (a re-sent duplicate too) was settled before
// the test counts what was handled.
func drain(t *testing.T, url, queue string, stopConsumer func()) {
	t.Helper()
	conn, err := amqp.Dial(url)
	if err != nil {
		t.Fatalf("dial RabbitMQ: %v", err)
	}
	defer conn.Close()
	ready := func() int {
		ch, err := conn.Channel()
		if err != nil {
			t.Fatalf("open channel: %v", err)
		}
		defer ch.Close()
		q, err := ch.QueueDeclarePassive(queue, true, false, false, false, nil)
		if err != nil {
			t.Fatalf("inspect queue %s: %v", queue, err)
		}
		return q.Messages
	}
	testenv.Eventually(t, waitTimeout, "an empty "+queue+" queue", func() bool { return ready() == 0 })
	stopConsumer()
	if n := ready(); n != 0 {
		t.Fatalf("%d deliveries of %s were not settled when its consumer stopped", n, queue)
	}
}

// deleteTopology removes the plans' queues and exchanges when t ends.
func deleteTopology(t *testing.T, url string, plans ...service.TopologyPlan) {
	t.Cleanup(func() {
		conn, err := amqp.Dial(url)
		if err != nil {
			t.Errorf("clean up topology: %v", err)
			return
		}
		defer conn.Close()
		ch, err := conn.Channel()
		if err != nil {
			t.Errorf("clean up topology: %v", err)
			return
		}
		defer ch.Close()
		for _, p := range plans {
			for _, q := range p.Queues {
				if _, err := ch.QueueDelete(q.Name, false, false, false); err != nil {
					t.Errorf("delete queue %s: %v", q.Name, err)
				}
			}
			for _, e := range p.Exchanges {
				if err := ch.ExchangeDelete(e.Name, false, false); err != nil {
					t.Errorf("delete exchange %s: %v", e.Name, err)
				}
			}
		}
	})
}
