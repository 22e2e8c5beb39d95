package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	billingapp "github.com/evgenhq/evgen/examples/billing/app"
	"github.com/evgenhq/evgen/examples/demo/cluster"
	usersapp "github.com/evgenhq/evgen/examples/users/app"
	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime/service"
)

// The deletion saga, started by one HTTP request to users, is one trace:
// the request's server span, then for each event the relay span of its
// producer's outbox and the process span of its consumer's inbox, each the
// child of the one before: users' UserDeletionRequested, billing's
// AccountClosed, users' UserDeleted. Both outboxes keep the context: the
// SQLite store's table of its own, and the PostgreSQL store's Watermill
// forwarder envelope.
func TestDeletionSagaIsOneTrace(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) { testSagaTrace(t, db) })
	}
}

func testSagaTrace(t *testing.T, db string) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { tp.Shutdown(context.Background()) })
	c, ns := startTraced(t, tp, db)
	u := register(t, c, "trace@example.com")
	awaitConsumer(t, service.QueueName(ns, "users")) // else billing's answer can reach only its event log
	if _, err := c.Users.Delete(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	awaitUser(t, c, u.ID, "deleted", func(u usersapp.User) bool { return u.Status == usersapp.StatusDeleted })
	awaitCustomer(t, c, u.ID, "billing's copy deleted", func(cu billingapp.Customer) bool {
		return cu.Status == billingapp.CustomerDeleted
	})

	steps := []struct {
		name, key, group string // span name, routing key, consumer group
	}{
		{"relay " + ns + ".users", "users.UserDeletionRequested.v1", ""},
		{"process " + ns + ".users", "users.UserDeletionRequested.v1", "billing"},
		{"relay " + ns + ".billing", "billing.AccountClosed.v1", ""},
		{"process " + ns + ".billing", "billing.AccountClosed.v1", "users"},
		{"relay " + ns + ".users", "users.UserDeleted.v1", ""},
		{"process " + ns + ".users", "users.UserDeleted.v1", "billing"},
	}
	var request sdktrace.ReadOnlySpan
	testenv.Eventually(t, 20*time.Second, "the saga's last span", func() bool {
		request = find(rec.Ended(), func(s sdktrace.ReadOnlySpan) bool { return s.Name() == "DELETE /users/{id}" })
		last := steps[len(steps)-1]
		return request != nil && find(rec.Ended(), func(s sdktrace.ReadOnlySpan) bool {
			return s.Name() == last.name && attr(s, "messaging.rabbitmq.destination.routing_key") == last.key
		}) != nil
	})
	if request.SpanKind() != trace.SpanKindServer || request.Parent().IsValid() {
		t.Fatalf("the request's span is of kind %v with parent %v; want a root server span", request.SpanKind(), request.Parent())
	}
	parent := request
	for _, st := range steps {
		next := find(rec.Ended(), func(s sdktrace.ReadOnlySpan) bool {
			return s.Name() == st.name && attr(s, "messaging.rabbitmq.destination.routing_key") == st.key &&
				s.Parent().SpanID() == parent.SpanContext().SpanID()
		})
		if next == nil {
			t.Fatalf("no span %q for %s under %q; the trace has:\n%s", st.name, st.key, parent.Name(), describe(rec.Ended(), request.SpanContext().TraceID()))
		}
		if next.SpanContext().TraceID() != request.SpanContext().TraceID() {
			t.Errorf("%s is in trace %s, not the request's", st.name, next.SpanContext().TraceID())
		}
		if got := attr(next, "messaging.consumer.group.name"); got != st.group {
			t.Errorf("%s %s: consumer group %q, want %q", st.name, st.key, got, st.group)
		}
		if attr(next, "messaging.system") != "rabbitmq" || attr(next, "messaging.message.id") == "" {
			t.Errorf("%s %s: attributes %v", st.name, st.key, next.Attributes())
		}
		parent = next
	}
}

// startTraced runs users and billing in this process over RabbitMQ, each
// with a database of its own (SQLite files, or schemas of the PostgreSQL
// test database, dropped at the end), their spans made by tp.
func startTraced(t *testing.T, tp trace.TracerProvider, db string) (*cluster.Cluster, string) {
	t.Helper()
	ns := strings.ToLower(testenv.UniqueName("e2etrace"))
	dir := t.TempDir()
	usersDB, billingDB := filepath.Join(dir, "users.db"), filepath.Join(dir, "billing.db")
	if db == "postgres" {
		dsn, pg := testenv.PostgresDSN(t), testenv.Postgres(t)
		usersDB, billingDB = withSearchPath(t, dsn, ns+"_users"), withSearchPath(t, dsn, ns+"_billing")
		t.Cleanup(func() {
			for _, s := range []string{ns + "_users", ns + "_billing"} {
				if _, err := pg.Exec(`DROP SCHEMA IF EXISTS "` + s + `" CASCADE`); err != nil {
					t.Errorf("drop schema %s: %v", s, err)
				}
			}
		})
	}
	start, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := cluster.Start(start, cluster.Options{
		Mode: cluster.Goroutines, AMQPURL: testenv.AMQPURL(t), Namespace: ns,
		UsersDB: usersDB, BillingDB: billingDB, LogDir: dir, TracerProvider: tp,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("users' log ends with:\n%s\nbilling's log ends with:\n%s", c.LogTail("users", 30), c.LogTail("billing", 30))
		}
		if err := c.Close(); err != nil {
			t.Errorf("stop the services: %v", err)
		}
	})
	return c, ns
}

// awaitConsumer waits until queue has a consumer: a service's HTTP API
// answers before it has declared its queue and bindings, and an event
// published before then is not in the queue.
func awaitConsumer(t *testing.T, queue string) {
	t.Helper()
	conn, err := amqp.Dial(testenv.AMQPURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	testenv.Eventually(t, 20*time.Second, "a consumer of "+queue, func() bool {
		ch, err := conn.Channel()
		if err != nil {
			t.Fatal(err)
		}
		defer ch.Close()
		q, err := ch.QueueDeclarePassive(queue, true, false, false, false, nil)
		return err == nil && q.Consumers > 0 // consuming starts once its bindings are declared
	})
}

func find(spans []sdktrace.ReadOnlySpan, match func(sdktrace.ReadOnlySpan) bool) sdktrace.ReadOnlySpan {
	for _, s := range spans {
		if match(s) {
			return s
		}
	}
	return nil
}

func attr(s sdktrace.ReadOnlySpan, key attribute.Key) string {
	for _, kv := range s.Attributes() {
		if kv.Key == key {
			return kv.Value.Emit()
		}
	}
	return ""
}

// describe lists the spans of trace id, for a failure message.
func describe(spans []sdktrace.ReadOnlySpan, id trace.TraceID) string {
	var b strings.Builder
	for _, s := range spans {
		if s.SpanContext().TraceID() == id {
			b.WriteString("  " + s.Name() + " " + attr(s, "messaging.rabbitmq.destination.routing_key") +
				" span " + s.SpanContext().SpanID().String() + " parent " + s.Parent().SpanID().String() + "\n")
		}
	}
	return b.String()
}
