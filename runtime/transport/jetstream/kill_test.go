package jetstream_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/evgenhq/evgen/internal/testenv"
	tt "github.com/evgenhq/evgen/internal/transporttest"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store/memory"
	"github.com/evgenhq/evgen/runtime/store/open"
	"github.com/evgenhq/evgen/runtime/store/sqlite"
	"github.com/evgenhq/evgen/runtime/transport/jetstream"
)

// The environment that makes the test binary run billing as a child
// process instead of the tests (see TestMain).
const (
	childEnv      = "EVGEN_JETSTREAM_CHILD"
	childURL      = "EVGEN_JETSTREAM_CHILD_URL"
	childNS       = "EVGEN_JETSTREAM_CHILD_NAMESPACE"
	childDB       = "EVGEN_JETSTREAM_CHILD_DB"
	childInFlight = "EVGEN_JETSTREAM_CHILD_MAX_ACK_PENDING"
	childAckWait  = 2 * time.Second
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		if err := runBillingChild(); err != nil {
			fmt.Fprintln(os.Stderr, "billing child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runBillingChild runs billing over JetStream until SIGTERM (or SIGKILL):
// its handler records each UserRegistered in the table applied of its
// SQLite database, in the inbox transaction.
func runBillingChild() error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	st, err := open.Open(ctx, os.Getenv(childDB))
	if err != nil {
		return err
	}
	defer st.DB().Close()
	if _, err := st.DB().ExecContext(ctx, `CREATE TABLE IF NOT EXISTS applied (id TEXT NOT NULL)`); err != nil {
		return err
	}
	inFlight, err := strconv.Atoi(os.Getenv(childInFlight))
	if err != nil {
		return fmt.Errorf("%s: %w", childInFlight, err)
	}
	svc, err := service.New(service.Config{
		Contract: tt.BillingContract, Store: st, Namespace: os.Getenv(childNS),
		Transport: jetstream.New(os.Getenv(childURL), jetstream.Options{AckWait: childAckWait, MaxAckPending: inFlight}),
		Logger:    slog.New(slog.NewTextHandler(os.Stderr, nil)),
	})
	if err != nil {
		return err
	}
	err = svc.Register(runtime.On(func(ctx context.Context, _ tt.UserRegistered, m runtime.Meta) error {
		_, err := service.Tx(ctx).ExecContext(ctx, `INSERT INTO applied (id) VALUES (?)`, m.ID)
		return err
	}))
	if err != nil {
		return err
	}
	return svc.Run(ctx)
}

// child is billing running as a process of its own.
type child struct {
	cmd  *exec.Cmd
	done chan struct{}
}

func startChild(t *testing.T, b *broker, db string, inFlight int) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1", childURL+"="+b.url, childNS+"="+b.namespace, childDB+"="+db, childInFlight+"="+strconv.Itoa(inFlight))
	cmd.Stderr = os.Stderr
	if os.Getenv("EVGEN_TEST_LOG") == "" {
		cmd.Stderr = nil
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start billing: %v", err)
	}
	c := &child{cmd: cmd, done: make(chan struct{})}
	go func() { defer close(c.done); cmd.Wait() }()
	t.Cleanup(c.kill)
	return c
}

// kill ends the child with SIGKILL and waits for it.
func (c *child) kill() {
	c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.done
}

// Billing is killed with SIGKILL while working through 500 events and
// started again: every event ends up applied exactly once (one row per
// event in its database, which has no key that would refuse a second),
// and in publish order, with one event in flight and with 32.
func TestKilledMidStream(t *testing.T) {
	for _, inFlight := range []int{1, 32} {
		t.Run(fmt.Sprintf("MaxAckPending=%d", inFlight), func(t *testing.T) { killedMidStream(t, inFlight) })
	}
}

func killedMidStream(t *testing.T, inFlight int) {
	const events = 500
	b := newBroker(t)
	db := t.TempDir() + "/billing.db"
	first := startChild(t, b, db, inFlight)
	testenv.Eventually(t, 30*time.Second, "billing to subscribe", func() bool { return b.subscribed(t, "users", "billing") })

	users := b.service(t, tt.UsersContract, memory.New(), opts)
	for i := range events {
		tt.Publish(t, users, tt.UserRegistered{UserID: fmt.Sprint(i)}, runtime.WithID(fmt.Sprintf("%04d", i)))
	}
	rows := openRows(t, db)
	testenv.Eventually(t, 30*time.Second, "billing to apply 100 events", func() bool { n, _ := rows(); return n >= 100 })
	first.kill()
	n, _ := rows()
	t.Logf("billing killed after applying %d of %d events", n, events)
	if n == events {
		t.Fatalf("billing applied all %d events before it was killed: nothing was left mid-stream", events)
	}

	startChild(t, b, db, inFlight)
	testenv.Eventually(t, 60*time.Second, "billing to apply every event and drain its consumer", func() bool {
		_, distinct := rows()
		return distinct == events && b.drained(t, "users", "billing")
	})
	if n, distinct := rows(); n != events || distinct != events {
		t.Errorf("billing's database holds %d rows for %d distinct events, want %d: each applied once", n, distinct, events)
	}
	if ids := appliedIDs(t, db); !slices.IsSorted(ids) {
		t.Errorf("billing applied the events out of publish order: %v", ids)
	}
	// One in flight while the dead replica's events came back; then the
	// consumer's own setting again.
	testenv.Eventually(t, 10*time.Second, fmt.Sprintf("billing's consumer to be back at MaxAckPending %d", inFlight), func() bool {
		info, err := b.js.ConsumerInfo(jetstream.StreamName(b.namespace+".users"), b.namespace+"_billing")
		return err == nil && info.Config.MaxAckPending == inFlight
	})
}

// appliedIDs returns the event IDs in billing's database in the order they
// were applied (the rows' insertion order).
func appliedIDs(t *testing.T, path string) []string {
	t.Helper()
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rs, err := db.Query(`SELECT id FROM applied ORDER BY rowid`)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	var ids []string
	for rs.Next() {
		var id string
		if err := rs.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}

// openRows opens billing's database and returns a function counting its
// applied rows and distinct events (0 until billing created the table).
func openRows(t *testing.T, path string) func() (rows, distinct int) {
	t.Helper()
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return func() (int, int) {
		var n, d int
		if err := db.QueryRow(`SELECT count(*), count(DISTINCT id) FROM applied`).Scan(&n, &d); err != nil {
			return 0, 0 // no table yet
		}
		return n, d
	}
}

// subscribed reports whether a replica of service subscribes to its
// consumer of producer's stream.
func (b *broker) subscribed(t *testing.T, producer, service string) bool {
	t.Helper()
	info, err := b.js.ConsumerInfo(jetstream.StreamName(b.namespace+"."+producer), b.namespace+"_"+service)
	return err == nil && info.PushBound
}
