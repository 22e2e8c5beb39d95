package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/store"
	"github.com/evgenhq/evgen/runtime/store/postgres"
	"github.com/evgenhq/evgen/runtime/store/storetest"
)

func TestPoisonRowsOverRabbitMQ(t *testing.T) {
	url := testenv.AMQPURL(t)
	storetest.RunBrokerSetAside(t, url, func(t *testing.T) store.Store {
		return newStore(t, postgres.Options{RelayBatchSize: 10, RelayPollInterval: 20 * time.Millisecond, Logger: quiet})
	})
}

// crashingRelay refuses poison for good and, when asked to send after it,
// terminates the database session of the relay's transaction, which
// holds the set-aside row and the offset move not yet committed: a crash
// of the relay's database work between set-aside and commit.
type crashingRelay struct {
	*storetest.Recorder
	db       *sql.DB
	table    string // unquoted set-aside table name
	poison   string
	crashAt  string
	crashed  atomic.Bool
	failures chan error
}

func (c *crashingRelay) Publish(ctx context.Context, msgs ...*message.Message) error {
	for _, m := range msgs {
		if m.UUID == c.poison {
			return runtime.Permanent(errors.New("not in its contract"))
		}
		if m.UUID == c.crashAt && !c.crashed.Swap(true) {
			var n int
			err := c.db.QueryRowContext(ctx, `SELECT count(pg_terminate_backend(l.pid)) FROM pg_locks l
				JOIN pg_class r ON r.oid = l.relation WHERE r.relname = $1 AND l.mode = 'RowExclusiveLock'`, c.table).Scan(&n)
			if err == nil && n != 1 {
				err = fmt.Errorf("terminated %d sessions, want the relay's one", n)
			}
			c.failures <- err
		}
	}
	return c.Recorder.Publish(ctx, msgs...)
}

// TestSetAsideSurvivesRelayCrash: the set-aside row commits with the
// relay's offset, so a relay whose transaction dies after setting a row
// aside reads the row again and sets it aside once: nothing lost, nothing
// set aside twice, every other event delivered (at least once).
func TestSetAsideSurvivesRelayCrash(t *testing.T) {
	prefix := testenv.UniqueName("evgen_t") + "_"
	s := newStore(t, postgres.Options{TablePrefix: prefix, RelayBatchSize: 10, RelayPollInterval: 20 * time.Millisecond, Logger: quiet})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ids := make([]string, 4)
	for i := range ids {
		ids[i] = fmt.Sprintf("0190a1b2-0000-7000-8000-%012d", i)
	}
	tx, err := s.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids { // one transaction: one batch, one relay transaction
		if err := s.Publisher(tx).Publish(ctx, message.NewMessage(id, []byte(`{}`))); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	pub := &crashingRelay{Recorder: storetest.NewRecorder(), db: s.DB(), table: prefix + "outbox_set_aside",
		poison: ids[1], crashAt: ids[2], failures: make(chan error, 1)}
	relayCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Relay(relayCtx, pub) }()
	if err := <-pub.failures; err != nil {
		t.Fatalf("crash the relay's transaction: %v", err)
	}
	pub.WaitFor(t, ids[0], ids[2], ids[3])
	for {
		b, err := s.Backlog(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) == 0 {
			break
		}
		select {
		case <-time.After(20 * time.Millisecond):
		case <-ctx.Done():
			t.Fatalf("backlog still %v", b)
		}
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("relay: %v", err)
	}
	rows, err := s.ListSetAside(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].ID != ids[1] {
		t.Errorf("set aside %+v, want exactly the poison event %s", rows, ids[1])
	}
	if n := countOf(pub.IDs(), ids[0]); n < 2 {
		t.Errorf("event %s relayed %d times: the crash did not roll the relay's transaction back, so the test proved nothing", ids[0], n)
	}
}

func countOf(ids []string, id string) int {
	n := 0
	for _, x := range ids {
		if x == id {
			n++
		}
	}
	return n
}
