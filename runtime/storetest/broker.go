package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/pgstore"
)

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

// killAfter is the broker publisher of a relay that crashes right after
// its n-th confirmed publish, before the relay could mark it sent.
type killAfter struct {
	pub    runtime.Publisher
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
		return errors.New("relay killed after the broker confirmed")
	}
	return nil
}

// counting counts the publishes the broker confirmed.
type counting struct {
	pub  runtime.Publisher
	sent atomic.Int64
}

func (c *counting) Publish(ctx context.Context, msgs ...*message.Message) error {
	if err := c.pub.Publish(ctx, msgs...); err != nil {
		return err
	}
	c.sent.Add(int64(len(msgs)))
	return nil
}

// TestOutboxToRabbitMQ is issue 4's test 7 on the real broker: a rolled-back
// transaction publishes nothing; 40 committed events reach a consuming
// service through RabbitMQ, and each takes effect there once although the
// relay is killed in the middle (after a confirm, before the mark) and
// restarted, re-sending what it had not marked.
func TestOutboxToRabbitMQ(t *testing.T) {
	url := testenv.AMQPURL(t)
	ns := testenv.UniqueName("evgen_outbox")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	outbox := newStore(t, pgstore.Options{Logger: quiet, RelayBatchSize: 10, RelayPollInterval: 20 * time.Millisecond})
	users := newService(t, runtime.Config{
		Contract: runtime.Contract{Service: "users", Publishes: []runtime.EventInfo{usersRegistered}},
		Store:    outbox, Transport: runtime.AMQP(url), Namespace: ns, Logger: quiet,
	})
	inbox := newStore(t, pgstore.Options{Logger: quiet})
	state := stateTable(t, inbox.DB())
	billing := newService(t, runtime.Config{
		Contract: runtime.Contract{Service: "billing", Consumes: []runtime.EventInfo{usersRegistered}},
		Store:    inbox, Transport: runtime.AMQP(url), Namespace: ns, Logger: quiet,
	})
	var metaMu sync.Mutex
	metas := map[string]runtime.Meta{}
	err := billing.Register(runtime.On(func(ctx context.Context, e userRegistered, m runtime.Meta) error {
		metaMu.Lock()
		metas[m.ID] = m
		metaMu.Unlock()
		_, err := runtime.Tx(ctx).ExecContext(ctx, "INSERT INTO "+state+" (event_id) VALUES ($1)", m.ID)
		return err
	}))
	if err != nil {
		t.Fatal(err)
	}
	deleteTopology(t, url, users.Topology(), billing.Topology())
	stopBilling := run(t, ctx, billing.Run)

	rolledBack := produce(t, outbox, 1, false)
	committed := produce(t, outbox, 40, true)

	relayCtx, kill := context.WithCancel(ctx)
	first := &killAfter{pub: users, n: 16, cancel: kill}
	if err := outbox.Relay(relayCtx, first); err != nil {
		t.Fatalf("first relay: %v", err)
	}
	second := &counting{pub: users}
	stopRelay := run(t, ctx, func(ctx context.Context) error { return outbox.Relay(ctx, second) })

	waitApplied(t, ctx, inbox, state, len(committed))
	stopRelay()
	stopBilling()
	applied := waitApplied(t, ctx, inbox, state, len(committed)) // all of it, now that nothing runs

	if !slices.Equal(applied, sorted(committed)) {
		t.Errorf("applied %v, want the committed %v", applied, committed)
	}
	if slices.Contains(applied, rolledBack[0]) {
		t.Errorf("event %s of a rolled-back transaction was applied", rolledBack[0])
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
// event, committed or rolled back, and returns their IDs.
func produce(t *testing.T, s *pgstore.Store, n int, commit bool) []string {
	t.Helper()
	ctx := context.Background()
	ids := make([]string, n)
	for i := range n {
		tx, err := s.DB().BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = fmt.Sprintf("0190a1b2-0000-7000-8000-%012d", i+boolInt(!commit)*1000)
		e := userRegistered{UserID: fmt.Sprintf("u%d", i)}
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

// waitApplied waits until n events are applied and the outbox is drained,
// and returns the applied IDs, sorted, duplicates included.
func waitApplied(t *testing.T, ctx context.Context, s *pgstore.Store, state string, n int) []string {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		var ids []string
		rows, err := s.DB().QueryContext(ctx, "SELECT event_id FROM "+state+" ORDER BY event_id")
		if err == nil {
			for rows.Next() {
				var id string
				err = errors.Join(err, rows.Scan(&id))
				ids = append(ids, id)
			}
			err = errors.Join(err, rows.Err(), rows.Close())
		}
		if err != nil {
			t.Fatalf("read state: %v", err)
		}
		if len(ids) >= n {
			return ids
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("%d of %d events applied before the deadline", len(ids), n)
		}
	}
}

func sorted(ids []string) []string { return slices.Sorted(slices.Values(ids)) }

func newService(t *testing.T, cfg runtime.Config) *runtime.Service {
	t.Helper()
	svc, err := runtime.NewService(cfg)
	if err != nil {
		t.Fatalf("NewService: %v", err)
	}
	t.Cleanup(func() { svc.Close() })
	return svc
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

// deleteTopology removes the plans' queues and exchanges when t ends.
func deleteTopology(t *testing.T, url string, plans ...runtime.TopologyPlan) {
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
