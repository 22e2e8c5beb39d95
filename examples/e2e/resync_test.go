package e2e

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	billingapp "github.com/evgenhq/evgen/examples/billing/app"
	usersapp "github.com/evgenhq/evgen/examples/users/app"
	"github.com/evgenhq/evgen/examples/users/usersevents"
)

// Billing's copy of the users is lost in part and stale in part, beyond
// what a queue can give back (rows deleted from billing's database; others
// rolled back to an older version, as a restored backup would be). Billing
// asks users to re-announce every user (POST /admin/resync) and ends with
// an exact copy, a deleted user included; answers not newer than billing's
// copy change nothing, nor does an older snapshot published later; and
// another consumer of UserRegistered receives none of the answers.
func TestResync(t *testing.T) {
	const n = 20
	d := startIn(t)
	mailer := otherConsumer(t, d)

	var ids []string
	for i := range n {
		ids = append(ids, register(t, d.Cluster, fmt.Sprintf("user%d@example.com", i)).ID)
	}
	for _, id := range ids[10:15] {
		changeEmail(t, d.Cluster, id, "changed-"+id[:8]+"@example.com")
		awaitCustomer(t, d.Cluster, id, "billing to apply the change", func(cu billingapp.Customer) bool { return cu.Version == 2 })
	}
	gone := ids[n-1]
	if _, err := d.Users.Delete(ctx, gone); err != nil {
		t.Fatal(err)
	}
	awaitCustomer(t, d.Cluster, gone, "billing's copy deleted", func(cu billingapp.Customer) bool { return cu.Status == billingapp.CustomerDeleted })
	live := messages(t, d, mailer)
	if live != n {
		t.Fatalf("the other consumer's queue holds %d UserRegistered, want the %d live ones", live, n)
	}

	// Lost: users 0-9 and the deleted one. Stale: users 10-14 back at
	// version 1 with their first email. Untouched: users 15-18.
	lose := append(ids[:10:10], gone)
	tamper(t, d, `DELETE FROM %s.customer_changes WHERE user_id = ANY($1)`, lose)
	tamper(t, d, `DELETE FROM %s.customers WHERE user_id = ANY($1)`, lose)
	tamper(t, d, `DELETE FROM %s.customer_changes WHERE user_id = ANY($1) AND version > 1`, ids[10:15])
	tamper(t, d, `UPDATE %s.customers c SET email = ch.email, version = 1 FROM %[1]s.customer_changes ch
		WHERE ch.user_id = c.user_id AND ch.version = 1 AND c.user_id = ANY($1)`, ids[10:15])
	// The runtime's record of the last version applied to each user lives
	// in the same database and goes back with it (see docs/recovery.md):
	// otherwise it would drop the answers as no newer than what it applied.
	tamper(t, d, `DELETE FROM %s.evgen_inbox_order WHERE key_value = ANY($1)`, lose)
	tamper(t, d, `UPDATE %s.evgen_inbox_order SET order_value = 1 WHERE key_value = ANY($1)`, ids[10:15])
	if _, err := d.Billing.Customer(ctx, ids[0]); err == nil {
		t.Fatal("billing still shows a customer deleted from its database")
	}

	registered := settledCount(t, d, "users.UserRegistered")
	deleted := settledCount(t, d, "users.UserDeleted")
	if err := d.Billing.Resync(ctx, "users"); err != nil {
		t.Fatal(err)
	}
	// Every answer settled, applied or dropped as stale: n-1 users
	// re-announced as registered, the deleted one as its tombstone.
	await(t, "billing to settle every answer", func(ctx context.Context) (bool, bool, error) {
		r, err1 := settled(ctx, d, "users.UserRegistered")
		del, err2 := settled(ctx, d, "users.UserDeleted")
		return true, r >= registered+n-1 && del >= deleted+1, errors.Join(err1, err2)
	})
	for _, id := range ids {
		sameCopy(t, d, id)
	}
	for _, id := range ids[15 : n-1] {
		if changes := appliedVersions(t, d.Cluster, id); len(changes) != 1 {
			t.Errorf("user %s: billing applied %d changes, want only the registration: an answer at the version it holds changes nothing", id, len(changes))
		}
	}

	// A snapshot older than billing's copy, as a late answer would be.
	pub, err := d.PublishAsUsers()
	if err != nil {
		t.Fatal(err)
	}
	stale := usersevents.UserRegistered{UserID: ids[10], Email: "user10@example.com", Plan: "pro", Version: 1, RegisteredAt: time.Now()}
	counted(t, d.Cluster, "evgen_events_stale_total", "users.UserRegistered", func() error { return pub.PublishUserRegistered(ctx, stale) })
	sameCopy(t, d, ids[10])

	// The stale snapshot went through users' exchange; the answers did
	// not: the other consumer has the live registrations and that one.
	if got := messages(t, d, mailer); got != n+1 {
		t.Errorf("the other consumer's queue holds %d UserRegistered, want %d: the %d live ones and the late one, none of the answers", got, n+1, n)
	}
}

// sameCopy fails t unless billing's copy of the user is users' current
// state: the same email, plan and version, deleted when users deleted it.
func sameCopy(t *testing.T, d deployment, id string) {
	t.Helper()
	u, err := d.Users.User(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	cu, err := d.Billing.Customer(ctx, id)
	if err != nil {
		t.Errorf("user %s (v%d): billing has no copy: %v", id, u.Version, err)
		return
	}
	deleted := u.Status == usersapp.StatusDeleted
	if cu.Email != u.Email || cu.Version != u.Version || deleted != (cu.Status == billingapp.CustomerDeleted) ||
		(!deleted && (string(cu.Plan) != string(u.Plan) || cu.Status != billingapp.CustomerActive)) {
		t.Errorf("user %s: billing's copy is %s %s %s v%d, users has %s %s %s v%d", id, cu.Email, cu.Plan, cu.Status, cu.Version, u.Email, u.Plan, u.Status, u.Version)
	}
}

// tamper runs query, with billing's schema in place of %s, on billing's
// database behind its back, with ids as $1.
func tamper(t *testing.T, d deployment, query string, ids []string) {
	t.Helper()
	if _, err := d.DB.Exec(fmt.Sprintf(query, `"`+d.BillingSchema+`"`), ids); err != nil {
		t.Fatalf("tamper with billing's database: %v", err)
	}
}

// settledCount is settled for a test: the events of eventType billing
// applied or dropped as stale.
func settledCount(t *testing.T, d deployment, eventType string) float64 {
	t.Helper()
	v, err := settled(ctx, d, eventType)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// settled counts the events of eventType billing applied or dropped as
// stale (not newer than what it applied before).
func settled(ctx context.Context, d deployment, eventType string) (float64, error) {
	labels := map[string]string{"type": eventType}
	consumed, err1 := d.Billing.Counter(ctx, "evgen_events_consumed_total", labels)
	stale, err2 := d.Billing.Counter(ctx, "evgen_events_stale_total", labels)
	return consumed + stale, errors.Join(err1, err2)
}

// otherConsumer declares the queue of another consumer of users'
// UserRegistered, bound to users' exchange as the runtime binds one (the
// exchange is declared here too, since users has not started publishing
// yet when this runs; the arguments are the runtime's), and deletes it
// when t ends.
func otherConsumer(t *testing.T, d deployment) string {
	t.Helper()
	ch := channel(t, d)
	exchange, queue := d.Namespace+".users", d.Namespace+".mailer"
	if err := ch.ExchangeDeclare(exchange, amqp.ExchangeTopic, true, false, false, false, nil); err != nil {
		t.Fatalf("declare exchange %s: %v", exchange, err)
	}
	if _, err := ch.QueueDeclare(queue, true, false, false, false, nil); err != nil {
		t.Fatalf("declare queue %s: %v", queue, err)
	}
	t.Cleanup(func() {
		if _, err := channel(t, d).QueueDelete(queue, false, false, false); err != nil {
			t.Errorf("delete queue %s: %v", queue, err)
		}
	})
	if err := ch.QueueBind(queue, "users.UserRegistered.v1", exchange, false, nil); err != nil {
		t.Fatalf("bind queue %s: %v", queue, err)
	}
	return queue
}

// messages is how many messages the queue holds.
func messages(t *testing.T, d deployment, queue string) int {
	t.Helper()
	q, err := channel(t, d).QueueDeclarePassive(queue, true, false, false, false, nil)
	if err != nil {
		t.Fatalf("inspect queue %s: %v", queue, err)
	}
	return q.Messages
}

// channel opens an AMQP channel on a connection closed when t ends.
func channel(t *testing.T, d deployment) *amqp.Channel {
	t.Helper()
	conn, err := amqp.Dial(d.AMQPURL)
	if err != nil {
		t.Fatalf("connect to RabbitMQ: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		t.Fatalf("open channel: %v", err)
	}
	return ch
}
