package e2e

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	billingapp "github.com/evgenhq/evgen/examples/billing/app"
	"github.com/evgenhq/evgen/examples/demo/cluster"
	usersapp "github.com/evgenhq/evgen/examples/users/app"
	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime/recovery"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/schema"
	"github.com/evgenhq/evgen/topology"
)

// brokerUsers are the broker URLs of the users evgen topology defines for
// a namespace, and of a third user that is no service of the set.
type brokerUsers struct {
	users, billing, mallory, operator string
}

// importUsers imports evgen topology's definitions for opts.Namespace,
// with a password for each user and a third user, mallory, who may only
// touch "<namespace>.mallory*" and, as every consuming service's user
// must, write to the default exchange; it points users and billing at
// their own users and has them verify who published each event. The users are deleted when t ends; the services' exchanges and
// queues go with the cluster.
func importUsers(t *testing.T, opts *cluster.Options) brokerUsers {
	t.Helper()
	set, err := schema.Load("../contracts")
	if err != nil {
		t.Fatal(err)
	}
	services, err := topology.Build(set, topology.Options{Namespace: opts.Namespace, UserPrefix: opts.Namespace + "-"})
	if err != nil {
		t.Fatal(err)
	}
	defs, err := topology.Definitions(services, "/", topology.NewOperator(services, opts.Namespace+"-operator"))
	if err != nil {
		t.Fatal(err)
	}
	mallory := opts.Namespace + "-mallory"
	own := "^" + opts.Namespace + `\.mallory.*$`
	doc, passwords := withPasswords(t, defs, mallory, own, "^("+opts.Namespace+`\.mallory.*|amq\.default)$`)
	t.Cleanup(func() {
		for user := range passwords {
			if out, err := exec.Command("rabbitmqctl", "delete_user", user).CombinedOutput(); err != nil {
				t.Errorf("delete broker user %s: %v: %s", user, err, out)
			}
		}
	})
	path := definitionsFile(t, doc)
	if out, err := exec.Command("rabbitmqctl", "import_definitions", path).CombinedOutput(); err != nil {
		t.Fatalf("rabbitmqctl import_definitions: %v: %s", err, out)
	}
	u := brokerUsers{
		users:    urlAs(t, opts.AMQPURL, opts.Namespace+"-users", passwords),
		billing:  urlAs(t, opts.AMQPURL, opts.Namespace+"-billing", passwords),
		mallory:  urlAs(t, opts.AMQPURL, mallory, passwords),
		operator: urlAs(t, opts.AMQPURL, opts.Namespace+"-operator", passwords),
	}
	// The import runs in the background: wait until each user can open
	// the vhost, which takes its permissions too.
	for _, target := range []string{u.users, u.billing, u.mallory, u.operator} {
		testenv.Eventually(t, 30*time.Second, "the imported user of "+redactURL(target)+" to connect", func() bool {
			conn, err := amqp.Dial(target)
			if err == nil {
				conn.Close()
			}
			return err == nil
		})
	}
	opts.UsersAMQPURL, opts.BillingAMQPURL = u.users, u.billing
	opts.VerifyPublishers, opts.UserPrefix = true, opts.Namespace+"-"
	return u
}

// definitionsFile writes doc where rabbitmqctl can read it: it runs as
// the broker's own system user, which cannot enter t.TempDir(), and
// RabbitMQ 3.10 cannot read definitions from standard input ("File -
// does not exist").
func definitionsFile(t *testing.T, doc []byte) string {
	t.Helper()
	f, err := os.CreateTemp("", "evgen-definitions-*.json")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(f.Name()) })
	if _, err := f.Write(doc); err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(f.Chmod(0o644), f.Close()); err != nil {
		t.Fatal(err)
	}
	return f.Name()
}

// withPasswords adds mallory to defs, with permissions to configure and
// read names matching own and write those matching write, and gives every
// user a random password, as an operator would with password_hash instead
// of rabbitmqctl change_password.
func withPasswords(t *testing.T, defs []byte, mallory, own, write string) ([]byte, map[string]string) {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(defs, &doc); err != nil {
		t.Fatal(err)
	}
	doc["users"] = append(doc["users"].([]any), map[string]any{"name": mallory, "tags": []any{}})
	doc["permissions"] = append(doc["permissions"].([]any), map[string]any{
		"user": mallory, "vhost": "/", "configure": own, "write": write, "read": own,
	})
	passwords := map[string]string{}
	for _, u := range doc["users"].([]any) {
		user := u.(map[string]any)
		password := rand.Text()
		passwords[user["name"].(string)] = password
		user["password_hash"] = passwordHash(password)
		user["hashing_algorithm"] = "rabbit_password_hashing_sha256"
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out, passwords
}

// passwordHash is RabbitMQ's rabbit_password_hashing_sha256 of password:
// base64 of a 4-byte salt followed by SHA-256(salt, password).
func passwordHash(password string) string {
	salt := make([]byte, 4)
	rand.Read(salt)
	sum := sha256.Sum256(append(append([]byte{}, salt...), password...))
	return base64.StdEncoding.EncodeToString(append(salt, sum[:]...))
}

// urlAs is base with user's credentials.
func urlAs(t *testing.T, base, user string, passwords map[string]string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(user, passwords[user])
	return u.String()
}

func redactURL(s string) string {
	u, _ := url.Parse(s)
	return u.Redacted()
}

// Each service connects as its own broker user, with the permissions evgen
// topology gives it: the stories pass, including a resync and a dead
// letter, and what a user has no need for, the broker refuses.
func TestPerServiceBrokerUsers(t *testing.T) {
	var bu brokerUsers
	d := startIn(t, func(opts *cluster.Options) { bu = importUsers(t, opts) })
	ns := d.Namespace

	t.Run("stories", func(t *testing.T) {
		// Users publishes, billing applies; billing answers, users applies.
		u := register(t, d.Cluster, "perm@example.com")
		if _, err := d.Users.Delete(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		awaitUser(t, d.Cluster, u.ID, "deleted after billing closed the account", func(u usersapp.User) bool { return u.Status == usersapp.StatusDeleted })
		// Billing asks users to re-announce, through users' resync queue;
		// users answers straight into billing's queue.
		// The answer, the user's tombstone at the version billing applied,
		// is dropped as stale: settled all the same.
		before := settledCount(t, d, "users.UserDeleted")
		if err := d.Billing.Resync(ctx, "users"); err != nil {
			t.Fatal(err)
		}
		await(t, "billing to settle users' answer", func(ctx context.Context) (bool, bool, error) {
			n, err := settled(ctx, d, "users.UserDeleted")
			return true, n > before, err
		})
	})

	t.Run("billing dead-letters as itself", func(t *testing.T) {
		publish(t, d.AMQPURL, ns+".users", "users.UserRegistered.v1", amqp.Publishing{MessageId: "not-an-event", Body: []byte("{")})
		await(t, "the broken event in billing's dead-letter queue", func(ctx context.Context) (int, bool, error) {
			n := messages(t, d, ns+".billing.dlq")
			return n, n == 1, nil
		})
	})

	// The default exchange lets any consuming service's user put a message
	// straight into any queue. The broker checks a user-id against the
	// sender's user, and billing, told users' broker user, dead-letters
	// what another user sent as users' event.
	t.Run("a third user's event forged into billing's queue is dead-lettered", func(t *testing.T) {
		before := settledCount(t, d, "users.UserRegistered")
		reasons := map[string]string{
			"forged-anonymous": "has no user-id",
			"forged-as-self":   `was published by broker user "` + ns + `-mallory", not "` + ns + `-users": refused as forged`,
		}
		if err := onChannel(t, bu.mallory, publishOn("", service.QueueName(ns, "billing"), forgedEvent("forged-anonymous", ""))); err != nil {
			t.Fatalf("mallory publishing into billing's queue: %v", err)
		}
		if err := onChannel(t, bu.mallory, publishOn("", service.QueueName(ns, "billing"), forgedEvent("forged-as-self", ns+"-mallory"))); err != nil {
			t.Fatalf("mallory publishing into billing's queue: %v", err)
		}
		err := onChannel(t, bu.mallory, publishOn("", service.QueueName(ns, "billing"), forgedEvent("forged-as-users", ns+"-users")))
		var e *amqp.Error
		if !errors.As(err, &e) || e.Code != amqp.PreconditionFailed {
			t.Errorf("mallory sending users' user-id: %v, want the broker's PRECONDITION_FAILED (406)", err)
		}
		got := takeDeadLetters(t, d, ns+".billing.dlq", reasons)
		for id, want := range reasons {
			if !strings.Contains(got[id], want) {
				t.Errorf("%s dead-lettered with %q, want a reason saying %q", id, got[id], want)
			}
		}
		if n := settledCount(t, d, "users.UserRegistered"); n != before {
			t.Errorf("billing applied %v users.UserRegistered events during the forgery, want none", n-before)
		}
	})

	// The operator evgen topology -operator defines redrives a dead letter
	// as its publisher: the forged event is refused again as a third
	// user's, not for a missing user-id.
	t.Run("the operator redrives with the publisher's user-id", func(t *testing.T) {
		id := "forged-redriven"
		if err := onChannel(t, bu.mallory, publishOn("", service.QueueName(ns, "billing"), forgedEvent(id, ns+"-mallory"))); err != nil {
			t.Fatalf("mallory publishing into billing's queue: %v", err)
		}
		dl, err := recovery.OpenDeadLetters(bu.operator, ns, "billing")
		if err != nil {
			t.Fatal(err)
		}
		defer dl.Close()
		only := recovery.DeadLetterFilter{IDs: []string{id}}
		awaitDeadLetter(t, dl, only, "dead-lettered", func(recovery.DeadLetter) bool { return true })
		if n, err := dl.Redrive(ctx, only); err != nil || n != 1 {
			t.Fatalf("redrive as the operator: %d, %v; want 1", n, err)
		}
		l := awaitDeadLetter(t, dl, only, "dead-lettered again", func(l recovery.DeadLetter) bool { return l.Redrives == 1 })
		if want := `was published by broker user "` + ns + `-mallory"`; !strings.Contains(l.Reason, want) {
			t.Errorf("the redriven event was dead-lettered with %q, want a reason saying %q", l.Reason, want)
		}
		if _, err := dl.Drop(ctx, only); err != nil {
			t.Errorf("drop as the operator: %v", err)
		}
	})

	// A new billing, connected as billing's user, syncs from users' event
	// log with the generated billingevents.SyncFromUsers (-sync-from
	// start): it reads the stream and marks its tail through the default
	// exchange (which is also how billing could write anything into that
	// log: see the docs' overreach).
	t.Run("billing syncs from users' event log", func(t *testing.T) {
		u := register(t, d.Cluster, "synced@example.com")
		if _, err := d.ReplaceBilling(ctx, "-sync-from", "start"); err != nil {
			t.Fatal(err)
		}
		awaitCustomer(t, d.Cluster, u.ID, "the new billing to learn of the user from users' log", func(c billingapp.Customer) bool { return c.Email == "synced@example.com" })
		await(t, "billing's sync to finish", func(ctx context.Context) (bool, bool, error) {
			running, err := d.Billing.Counter(ctx, "evgen_sync_running", map[string]string{"producer": "users"})
			return true, running == 0, err
		})
		if log := d.LogTail("billing", 200); strings.Contains(log, "sync from users' event log failed") {
			t.Fatalf("billing's sync failed:\n%s", log)
		}
	})

	refusals := []struct {
		name, as string
		try      func(ch *amqp.Channel) error
	}{
		{"billing publishes to users' exchange", bu.billing, publishTo(ns+".users", "users.UserRegistered.v1")},
		{"a third user forges an event into users' exchange", bu.mallory, publishTo(ns+".users", "users.UserRegistered.v1")},
		{"a third user binds a queue to users' exchange", bu.mallory, bindTo(ns+".mallory", ns+".users")},
		{"billing reads users' queue", bu.billing, consume(service.QueueName(ns, "users"))},
		{"billing deletes users' queue", bu.billing, deleteQueue(service.QueueName(ns, "users"))},
		{"billing reads users' dead-letter queue", bu.billing, consume(ns + ".users.dlq")},
		{"billing reads users' resync queue", bu.billing, consume(ns + ".users.resync")},
		{"billing deletes users' event log", bu.billing, deleteQueue(ns + ".users.log")},
		{"users reads billing's dead-letter queue", bu.users, consume(ns + ".billing.dlq")},
	}
	for _, r := range refusals {
		t.Run("refused: "+r.name, func(t *testing.T) {
			if err := onChannel(t, r.as, r.try); !isAccessRefused(err) {
				t.Fatalf("got %v, want the broker's ACCESS_REFUSED (403)", err)
			}
		})
	}
}

// forgedEvent is a users event as a third user would put it straight into
// billing's queue, with userID as its user-id.
func forgedEvent(id, userID string) amqp.Publishing {
	return amqp.Publishing{MessageId: id, UserId: userID, ContentType: "application/json", Headers: amqp.Table{
		"cloudEvents_specversion": "1.0", "cloudEvents_id": id, "cloudEvents_source": "users",
		"cloudEvents_type": "users.UserRegistered", "cloudEvents_eventversion": "1",
	}, Body: []byte(`{"user_id":"7f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b","email":"forged@example.com","plan":"pro","version":1,"registered_at":"2026-01-02T03:04:05Z"}`)}
}

// awaitDeadLetter waits until the one dead letter f selects satisfies ok,
// and returns it.
func awaitDeadLetter(t *testing.T, dl *recovery.DeadLetters, f recovery.DeadLetterFilter, what string, ok func(recovery.DeadLetter) bool) recovery.DeadLetter {
	t.Helper()
	var got recovery.DeadLetter
	await(t, "the event "+what, func(ctx context.Context) (int, bool, error) {
		letters, err := dl.List(ctx, f)
		if err != nil || len(letters) != 1 {
			return len(letters), false, err
		}
		got = letters[0]
		return 1, ok(got), nil
	})
	return got
}

// onChannel runs try on a confirm-mode channel of a connection as the
// user of target, and returns its error, or the error the broker closed
// the channel with.
func onChannel(t *testing.T, target string, try func(ch *amqp.Channel) error) error {
	t.Helper()
	conn, err := amqp.Dial(target)
	if err != nil {
		t.Fatalf("connect as %s: %v", redactURL(target), err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Confirm(false); err != nil {
		t.Fatal(err)
	}
	closed := ch.NotifyClose(make(chan *amqp.Error, 1))
	if err := try(ch); err != nil {
		return err
	}
	// A refused publish closes the channel instead of answering it; a
	// publish let through is confirmed, which the try waited for.
	select {
	case e := <-closed:
		return e
	default:
		return nil
	}
}

// publishTo publishes an event to exchange with key and waits for the
// broker's answer: a confirm, or the channel closed.
func publishTo(exchange, key string) func(ch *amqp.Channel) error {
	return func(ch *amqp.Channel) error {
		dc, err := ch.PublishWithDeferredConfirm(exchange, key, false, false, amqp.Publishing{MessageId: "forged", Body: []byte(`{}`)})
		if err != nil {
			return err
		}
		closed := ch.NotifyClose(make(chan *amqp.Error, 1))
		select {
		case <-dc.Done():
			return nil
		case e := <-closed:
			return e
		}
	}
}

// publishOn publishes p to exchange with key and waits for the broker's
// answer, as publishTo does.
func publishOn(exchange, key string, p amqp.Publishing) func(ch *amqp.Channel) error {
	return func(ch *amqp.Channel) error {
		closed := ch.NotifyClose(make(chan *amqp.Error, 1))
		dc, err := ch.PublishWithDeferredConfirm(exchange, key, true, false, p)
		if err != nil {
			return err
		}
		select {
		case <-dc.Done():
			if !dc.Acked() {
				return errors.New("the broker nacked the message")
			}
			return nil
		case e := <-closed:
			return e
		}
	}
}

// takeDeadLetters takes dead letters from queue, as the test's own
// (administrator) user, until it has those of every ID of want, and
// returns their reasons by ID.
func takeDeadLetters(t *testing.T, d deployment, queue string, want map[string]string) map[string]string {
	t.Helper()
	ch := channel(t, d)
	got := map[string]string{}
	await(t, "the forged events in "+queue, func(context.Context) (int, bool, error) {
		m, ok, err := ch.Get(queue, true)
		if err != nil || !ok {
			return len(got), false, err
		}
		if _, wanted := want[m.MessageId]; wanted {
			got[m.MessageId], _ = m.Headers[service.HeaderDLQError].(string)
		}
		return len(got), len(got) == len(want), nil
	})
	return got
}

func bindTo(queue, exchange string) func(ch *amqp.Channel) error {
	return func(ch *amqp.Channel) error {
		if _, err := ch.QueueDeclare(queue, false, true, true, false, nil); err != nil {
			return err
		}
		return ch.QueueBind(queue, "#", exchange, false, nil)
	}
}

// consume starts a consumer on queue and cancels it at once: what it was
// sent goes back to the queue unacknowledged.
func consume(queue string) func(ch *amqp.Channel) error {
	return func(ch *amqp.Channel) error {
		if _, err := ch.Consume(queue, "probe", false, false, false, false, nil); err != nil {
			return err
		}
		return ch.Cancel("probe", false)
	}
}

func deleteQueue(queue string) func(ch *amqp.Channel) error {
	return func(ch *amqp.Channel) error {
		_, err := ch.QueueDelete(queue, false, false, false)
		return err
	}
}

func isAccessRefused(err error) bool {
	var e *amqp.Error
	return errors.As(err, &e) && e.Code == amqp.AccessRefused
}

// publish sends one message as the test's own (administrator) user.
func publish(t *testing.T, target, exchange, key string, p amqp.Publishing) {
	t.Helper()
	if err := onChannel(t, target, func(ch *amqp.Channel) error {
		dc, err := ch.PublishWithDeferredConfirm(exchange, key, true, false, p)
		if err != nil {
			return err
		}
		if !dc.Wait() {
			return errors.New("the broker did not take the message")
		}
		return nil
	}); err != nil {
		t.Fatalf("publish to %s with %s: %v", exchange, key, err)
	}
}
