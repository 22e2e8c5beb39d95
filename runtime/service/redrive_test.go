package service_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/recovery"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store/memory"
)

// A redrive takes what the dead-letter queue held when it started, once:
// with a handler that keeps failing, every redriven event comes back to the
// dead-letter queue while the redrive runs, and must not be redriven again.
func TestRedriveEndsWithWhatWasThere(t *testing.T) {
	const n = 50
	env := newRCEnv(t)
	users, _ := env.service(t, rcUsersContract, memory.New())
	env.run(t, users)
	billing, _ := env.service(t, rcConsumerContract("billing"), memory.New())
	fail := func(context.Context, rcRegistered, runtime.Meta) error { return errors.New("still broken") }
	if err := runtime.RegisterAll(billing, runtime.On(fail),
		runtime.On(func(context.Context, rcEmailChanged, runtime.Meta) error { return nil })); err != nil {
		t.Fatal(err)
	}
	env.run(t, billing)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i := range n {
		if err := runtime.Publish(ctx, users, rcRegistered{UserID: rcUserID(i), Email: "x@example.com", Version: 1}); err != nil {
			t.Fatal(err)
		}
	}
	dlq := env.ns + ".billing.dlq"
	testenv.Eventually(t, 20*time.Second, "the events dead-lettered", func() bool { return env.messages(t, dlq) == n })
	dl, err := recovery.OpenDeadLetters(env.url, env.ns, "billing")
	if err != nil {
		t.Fatal(err)
	}
	defer dl.Close()

	got, err := dl.Redrive(ctx, recovery.DeadLetterFilter{})
	if err != nil || got != n {
		t.Fatalf("Redrive = %d, %v; want %d, what the dead-letter queue held", got, err, n)
	}
	// Each came back once more, redriven once: none twice.
	testenv.Eventually(t, 20*time.Second, "the redriven events dead-lettered again", func() bool { return env.messages(t, dlq) == n })
	letters, err := dl.List(ctx, recovery.DeadLetterFilter{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, l := range letters {
		if l.Redrives != 1 || seen[l.ID] {
			t.Errorf("dead letter %s redriven %d times (seen before: %v); want each once", l.ID, l.Redrives, seen[l.ID])
		}
		seen[l.ID] = true
	}
	if len(seen) != n {
		t.Errorf("%d distinct dead letters after the redrive, want %d", len(seen), n)
	}
}

// Issue 16: a redrive keeps the user-id of the event's publisher, so that
// a consumer verifying publishers applies the redriven event. Only an
// operator tagged impersonator may send it: an operator without the tag
// is told so, and the dead letter stays.
func TestRedriveKeepsPublisherUserID(t *testing.T) {
	b := newBroker(t)
	operator := brokerUserAt(t, b, b.NS+"-operator", "impersonator")
	untagged := brokerUserAt(t, b, b.NS+"-untagged")
	var rec recorder
	var fixed atomic.Bool
	billing, _ := b.Service(t, billingContract, memory.New(), func(c *service.Config) {
		c.PublisherUsers = service.PublisherUsers{Verify: true, Users: map[string]string{"users": brokerUser(t, b.URL)}}
	})
	if err := billing.Register(runtime.On(func(_ context.Context, e userRegistered, m runtime.Meta) error {
		if !fixed.Load() {
			return runtime.Permanent(errors.New("bug 7"))
		}
		rec.Add(e.UserID, m)
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	start(t, billing)
	ready(t, billing)
	users, _ := b.Service(t, usersContract, memory.New())
	if err := users.Publish(context.Background(), encode(t, userRegistered{UserID: "u"})); err != nil {
		t.Fatal(err)
	}
	dlq := service.DeadLetterQueueName(b.NS, "billing")
	testenv.Eventually(t, 10*time.Second, "the event dead-lettered", func() bool { return queueDepth(t, b, dlq) == 1 })
	fixed.Store(true)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if n, err := redriveAs(ctx, t, untagged, b.NS); err == nil || !strings.Contains(err.Error(), "impersonator") {
		t.Fatalf("redrive by an operator without the impersonator tag: %d, %v; want an error saying it needs the tag", n, err)
	}
	testenv.Eventually(t, 10*time.Second, "the dead letter back in its queue", func() bool { return queueDepth(t, b, dlq) == 1 })
	if n, err := redriveAs(ctx, t, operator, b.NS); err != nil || n != 1 {
		t.Fatalf("redrive by the impersonator: %d, %v; want 1", n, err)
	}
	testenv.Eventually(t, 10*time.Second, "the redriven event applied", func() bool { return rec.Len() == 1 })
	if n := queueDepth(t, b, dlq); n != 0 {
		t.Errorf("%d dead letters after the redrive, want 0 (dead-lettered again: %v)", n, b.TakeDeadLetters(t, "billing", n)[0].Headers[service.HeaderDLQError])
	}
}

// redriveAs redrives billing's dead letters as the broker user of url.
func redriveAs(ctx context.Context, t *testing.T, url, ns string) (int, error) {
	t.Helper()
	dl, err := recovery.OpenDeadLetters(url, ns, "billing")
	if err != nil {
		t.Fatal(err)
	}
	defer dl.Close()
	return dl.Redrive(ctx, recovery.DeadLetterFilter{})
}

// brokerUserAt adds a broker user with tags and the permissions evgen
// topology -operator gives an operator of billing (read its dead-letter
// queue, write to the default exchange), deleted when t ends, and returns
// its URL.
func brokerUserAt(t *testing.T, b *broker, user string, tags ...string) string {
	t.Helper()
	dlq := regexp.QuoteMeta(service.DeadLetterQueueName(b.NS, "billing"))
	return b.AddUser(t, user, "^$", `^amq\.default$`, "^"+dlq+"$", tags...)
}

// queueDepth is the number of messages ready in queue.
func queueDepth(t *testing.T, b *broker, queue string) int {
	t.Helper()
	q, found := b.QueueState(t, queue)
	if !found {
		t.Fatalf("queue %s does not exist", queue)
	}
	return q.Messages
}

// A redrive sends the event with the user-id of its publisher. A message
// the broker dead-lettered (a consumer in another language rejecting it)
// still carries that user-id as its own; the runtime's dead-letter copy
// carries the consumer's, with the publisher's in a header, or none when
// the publisher set none.
func TestRedriveUserIDOfBrokerAndRuntimeDeadLetters(t *testing.T) {
	cases := []struct {
		name    string
		letter  amqp.Publishing
		wantUID string
	}{
		{"dead-lettered by the broker", amqp.Publishing{UserId: "guest", Headers: amqp.Table{"x-death": []any{amqp.Table{"reason": "rejected"}}}}, "guest"},
		// Only a user-id the test's broker user may set can be redriven:
		// the header names guest, the copy itself none.
		{"the runtime's copy, publisher's user in the header", amqp.Publishing{Headers: amqp.Table{service.HeaderDLQError: "bug", service.HeaderDLQUserID: "guest"}}, "guest"},
		{"the runtime's copy, publisher without a user-id", amqp.Publishing{UserId: "guest", Headers: amqp.Table{service.HeaderDLQError: "bug"}}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := newBroker(t)
			q, dlq := service.QueueName(b.NS, "mailer"), service.DeadLetterQueueName(b.NS, "mailer")
			ch := b.Channel(t)
			for _, n := range []string{q, dlq} {
				if _, err := ch.QueueDeclare(n, true, false, false, false, nil); err != nil {
					t.Fatal(err)
				}
			}
			b.DeleteAtEnd(service.TopologyPlan{Queues: []service.QueueSpec{{Name: q}, {Name: dlq}}})
			c.letter.MessageId, c.letter.Body = "e1", []byte("{}")
			b.PublishRaw(t, "", dlq, c.letter)
			testenv.Eventually(t, 10*time.Second, "the dead letter in its queue", func() bool { return queueDepth(t, b, dlq) == 1 })

			dl, err := recovery.OpenDeadLetters(b.URL, b.NS, "mailer")
			if err != nil {
				t.Fatal(err)
			}
			defer dl.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if n, err := dl.Redrive(ctx, recovery.DeadLetterFilter{}); err != nil || n != 1 {
				t.Fatalf("redrive: %d, %v; want 1", n, err)
			}
			var got amqp.Delivery
			testenv.Eventually(t, 10*time.Second, "the redriven copy in the queue", func() bool {
				d, ok, err := ch.Get(q, true)
				if err != nil {
					t.Fatal(err)
				}
				got = d
				return ok
			})
			if got.UserId != c.wantUID {
				t.Errorf("redriven copy's user-id %q, want %q", got.UserId, c.wantUID)
			}
		})
	}
}
