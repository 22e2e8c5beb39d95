package service_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store/memory"
	"github.com/evgenhq/evgen/runtime/store/postgres"
)

// outageDB is a postgres store whose connections go through a proxy the test can
// cut, and a direct connection to look at the tables.
type outageDB struct {
	proxy   *testenv.Proxy
	store   *postgres.Store
	direct  *sql.DB
	applied string // the handler's table: one row per applied event, in commit order
}

func newOutageDB(t *testing.T) *outageDB {
	t.Helper()
	direct := testenv.Postgres(t)
	u, err := url.Parse(testenv.PostgresDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	o := &outageDB{proxy: testenv.NewProxy(t, u.Host), direct: direct, applied: testenv.UniqueName("evgen_outage")}
	u.Host = o.proxy.Addr()
	q := u.Query()
	q.Set("connect_timeout", "2")
	u.RawQuery = q.Encode()
	db, err := sql.Open("pgx", u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	o.store, err = postgres.New(db, postgres.Options{TablePrefix: o.applied + "_", Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := o.store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := direct.ExecContext(ctx, fmt.Sprintf(`CREATE TABLE %q (seq bigserial PRIMARY KEY, event_id text NOT NULL, user_id text NOT NULL)`, o.applied)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := direct.ExecContext(ctx, fmt.Sprintf(`DROP TABLE %q`, o.applied)); err != nil {
			t.Errorf("drop %s: %v", o.applied, err)
		}
		drop, err := postgres.New(direct, postgres.Options{TablePrefix: o.applied + "_"})
		if err == nil {
			err = drop.Drop(ctx)
		}
		if err != nil {
			t.Errorf("drop store: %v", err)
		}
	})
	return o
}

// apply is the handler: one row per event, in the inbox transaction.
func (o *outageDB) apply(ctx context.Context, e userRegistered, m runtime.Meta) error {
	_, err := service.Tx(ctx).ExecContext(ctx, fmt.Sprintf(`INSERT INTO %q (event_id, user_id) VALUES ($1, $2)`, o.applied), m.ID, e.UserID)
	return err
}

// rows returns the applied users in commit order and the number of
// distinct events among them.
func (o *outageDB) rows(t *testing.T) (users []string, distinct int) {
	t.Helper()
	rows, err := o.direct.Query(fmt.Sprintf(`SELECT user_id FROM %q ORDER BY seq`, o.applied))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			t.Fatal(err)
		}
		users = append(users, u)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if err := o.direct.QueryRow(fmt.Sprintf(`SELECT count(DISTINCT event_id) FROM %q`, o.applied)).Scan(&distinct); err != nil {
		t.Fatal(err)
	}
	return users, distinct
}

// A database outage pauses consumption instead of using up attempts: a
// consuming service on PostgreSQL under a steady stream of events has its
// database connections cut for 10 s. With the default retry policy the
// old code dead-lettered events about 1.5 s into the outage. Now: no dead
// letters, every event applied exactly once, and in ordered mode in
// publish order.
func TestDatabaseOutagePausesConsumption(t *testing.T) {
	const (
		n         = 1200
		every     = 10 * time.Millisecond // about 14 s of publishing
		cutAfter  = 200                   // events applied before the cut
		outageFor = 10 * time.Second
	)
	for _, mode := range []struct {
		name        string
		concurrency int
		ordered     bool
	}{{"ordered", 1, true}, {"concurrent", 4, false}} {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			b := newBroker(t)
			o := newOutageDB(t)
			svc, reg := b.Service(t, billingContract, o.store, func(c *service.Config) {
				c.Concurrency = mode.concurrency
				c.Retry = service.RetryPolicy{MaxAttempts: 5} // the defaults: 100 ms doubling
			})
			if err := svc.Register(runtime.On(o.apply)); err != nil {
				t.Fatal(err)
			}
			r := start(t, svc)
			ready(t, svc)

			users, _ := b.Service(t, usersContract, memory.New())
			want := make([]string, n)
			published := make(chan error, 1)
			go func() {
				for i := range n {
					want[i] = fmt.Sprintf("user-%d", i)
					if err := runtime.Publish(context.Background(), users, userRegistered{UserID: want[i]}); err != nil {
						published <- fmt.Errorf("publish %s: %w", want[i], err)
						return
					}
					time.Sleep(every) // a steady stream, not a backlog
				}
				published <- nil
			}()

			testenv.Eventually(t, 30*time.Second, fmt.Sprintf("%d events applied before the cut", cutAfter), func() bool {
				got, _ := o.rows(t)
				return len(got) >= cutAfter
			})
			o.proxy.Cut()
			t.Logf("database cut for %v", outageFor)
			time.Sleep(outageFor) // the outage's length, not a wait for a condition
			o.proxy.Restore()
			if err := <-published; err != nil {
				t.Fatal(err)
			}

			// Every event is settled once applied, found applied already (a
			// commit whose answer the cut lost) or dead-lettered; wait for
			// that, stop, and only then count.
			settled := func() (counts string, done bool) {
				c, dup, dead := metric(t, reg, "evgen_events_consumed_total"), metric(t, reg, "evgen_events_duplicates_total"), metric(t, reg, "evgen_events_dead_lettered_total")
				return fmt.Sprintf("%v consumed, %v duplicates, %v dead-lettered", c, dup, dead), int(c+dup+dead) >= n
			}
			for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				counts, done := settled()
				if done {
					t.Log(counts)
					break
				}
				if time.Now().After(deadline) {
					got, _ := o.rows(t)
					t.Fatalf("not every event settled 60s after the outage: %s, %d rows", counts, len(got))
				}
			}
			if err := r.Stop(); err != nil {
				t.Fatal(err)
			}
			ch := b.Channel(t)
			for _, q := range []string{service.QueueName(b.NS, "billing"), service.DeadLetterQueueName(b.NS, "billing")} {
				depth, err := ch.QueueDeclarePassive(q, true, false, false, false, nil)
				if err != nil {
					t.Fatal(err)
				}
				if depth.Messages != 0 {
					t.Errorf("%s holds %d events after the service stopped, want 0", q, depth.Messages)
				}
			}
			if dead := metric(t, reg, "evgen_events_dead_lettered_total"); dead != 0 {
				t.Errorf("%v events dead-lettered during a database outage, want 0", dead)
			}
			got, distinct := o.rows(t)
			if len(got) != n || distinct != n {
				t.Errorf("%d rows for %d distinct events, want exactly %d of each", len(got), distinct, n)
			}
			if mode.ordered && !slices.Equal(got, want) {
				t.Errorf("rows not in publish order: first difference at %d", firstDiff(got, want))
			}
			if waits := metric(t, reg, "evgen_store_waits_total"); waits == 0 {
				t.Error("evgen_store_waits_total is 0: the outage was never seen")
			}
			if g := metric(t, reg, "evgen_store_unavailable"); g != 0 {
				t.Errorf("evgen_store_unavailable = %v after the outage, want 0", g)
			}
			t.Logf("store waits: %v", metric(t, reg, "evgen_store_waits_total"))
		})
	}
}

// What pgx and database/sql really return when the connection to
// PostgreSQL is cut, and that classify takes each for a lost connection,
// while an error the server answered with stays the handler's.
func TestClassifyRealConnectionErrors(t *testing.T) {
	o := newOutageDB(t)
	db, ctx := o.store.DB(), context.Background()
	inTx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inTx.ExecContext(ctx, "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	idle, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	o.proxy.Cut()
	var errs []error
	collect := func(what string, err error) { errs = append(errs, fmt.Errorf("%s: %w", what, err)) }
	_, err = inTx.ExecContext(ctx, "SELECT 1")
	collect("statement in a transaction", err)
	collect("commit after that", inTx.Commit())
	collect("commit of an idle transaction", idle.Commit())
	_, err = db.BeginTx(ctx, nil)
	collect("begin", err)
	collect("ping", db.PingContext(ctx))
	_, err = db.ExecContext(ctx, "SELECT 1")
	collect("statement outside a transaction", err)
	for _, err := range errs {
		if got := service.ClassifyFailure(err, o.store); errors.Unwrap(err) == nil || got != "connection" {
			t.Errorf("%v (%T): classified %q, want connection", err, errors.Unwrap(err), got)
		}
	}
	o.proxy.Restore()
	_, err = db.ExecContext(ctx, "SELECT 1/0")
	if got := service.ClassifyFailure(err, o.store); err == nil || got != "handler" {
		t.Errorf("%v: classified %q, want handler", err, got)
	}
}

// A shutdown while an event is held for the database puts it back on the
// queue, not in the dead-letter queue; it is applied once the database
// answers again.
func TestShutdownDuringDatabaseOutageRequeues(t *testing.T) {
	b := newBroker(t)
	o := newOutageDB(t)
	svc, reg := b.Service(t, billingContract, o.store)
	if err := svc.Register(runtime.On(o.apply)); err != nil {
		t.Fatal(err)
	}
	r := start(t, svc)
	ready(t, svc)
	o.proxy.Cut()
	users, _ := b.Service(t, usersContract, memory.New())
	if err := runtime.Publish(context.Background(), users, userRegistered{UserID: "u-held"}); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 10*time.Second, "the event held for the database", func() bool { return metric(t, reg, "evgen_store_waits_total") > 0 })
	if g := metric(t, reg, "evgen_store_unavailable"); g != 1 {
		t.Errorf("evgen_store_unavailable = %v during the outage, want 1", g)
	}
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	// A quorum queue takes back the deliveries of a closed channel
	// asynchronously: wait for the event to be back, then check that it is
	// nowhere else.
	ch := b.Channel(t)
	depth := func(q string) int {
		d, err := ch.QueueDeclarePassive(q, true, false, false, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		return d.Messages
	}
	testenv.Eventually(t, 10*time.Second, "the held event back in "+service.QueueName(b.NS, "billing"), func() bool { return depth(service.QueueName(b.NS, "billing")) == 1 })
	if n := depth(b.NS + ".billing.dlq"); n != 0 {
		t.Errorf("the dead-letter queue holds %d events after a shutdown during the outage, want 0", n)
	}

	o.proxy.Restore()
	// The pool still holds connections the proxy cut; a new process would
	// not, so let the restarted service start on fresh ones.
	o.store.DB().SetMaxIdleConns(0)
	o.store.DB().SetMaxIdleConns(2)
	again, reg2 := b.Service(t, billingContract, o.store)
	if err := again.Register(runtime.On(o.apply)); err != nil {
		t.Fatal(err)
	}
	r2 := start(t, again)
	testenv.Eventually(t, 10*time.Second, "the requeued event applied", func() bool { return metric(t, reg2, "evgen_events_consumed_total") == 1 })
	if err := r2.Stop(); err != nil {
		t.Fatal(err)
	}
	if got, distinct := o.rows(t); len(got) != 1 || distinct != 1 {
		t.Errorf("%d rows for %d events after the restart, want 1", len(got), distinct)
	}
}
