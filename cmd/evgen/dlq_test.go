package main

import (
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
)

func TestDLQUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		stderr string
	}{
		{nil, "no action"},
		{[]string{"frob", "-service", "x"}, `unknown action "frob"`},
		{[]string{"list"}, "-service is required"},
		{[]string{"show", "-service", "x"}, "exactly one event ID"},
		{[]string{"list", "-service", "x", "id1"}, "list takes no IDs"},
		{[]string{"redrive", "-service", "x"}, "redrive needs a selection"},
		{[]string{"drop", "-service", "x"}, "drop needs a selection"},
		{[]string{"list", "-service", "x", "-since", "last week"}, "-since"},
		{[]string{"list", "-service", "x", "-bogus"}, "flag provided but not defined"},
		{[]string{"list", "-service", "x", "-namespace", "a.billing"}, `-namespace: namespace "a.billing" has a dot`},
	} {
		got := runEvgen(t, append([]string{"dlq"}, tc.args...)...)
		if got.code != exitUsage || !strings.Contains(got.stderr, tc.stderr) {
			t.Errorf("dlq %q: exit %d, stderr %q; want 2 and %q", tc.args, got.code, got.stderr, tc.stderr)
		}
	}
	if got := runEvgen(t, "help", "dlq"); got.code != exitOK || got.stdout != dlqUsage {
		t.Errorf("help dlq: exit %d, stdout %q", got.code, got.stdout)
	}
}

// dlqBroker is a consumer's queue and dead-letter queue on the real
// RabbitMQ, deleted when the test ends.
func dlqBroker(t *testing.T) (url, ns string, ch *amqp.Channel) {
	t.Helper()
	url, ns = testenv.AMQPURL(t), testenv.UniqueName("evgendlq")
	conn, err := amqp.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ch, err = conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{service.QueueName(ns, "consumer"), service.DeadLetterQueueName(ns, "consumer")} {
		if _, err := ch.QueueDeclare(q, true, false, false, false, nil); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ch.QueueDelete(q, false, false, false) })
	}
	return url, ns, ch
}

func deadLetter(t *testing.T, ch *amqp.Channel, queue, id, reason, body string) {
	t.Helper()
	err := ch.Publish("", queue, false, false, amqp.Publishing{
		MessageId: id, ContentType: "application/json", Body: []byte(body),
		Headers: amqp.Table{
			runtime.HeaderType: "producer.Ping", runtime.HeaderEventVersion: "1", runtime.HeaderSubject: "7",
			service.HeaderDLQError: reason, service.HeaderDLQAttempts: "5",
			service.HeaderDLQExchange: "ns.producer", service.HeaderDLQRoutingKey: "producer.Ping.v1",
			service.HeaderDLQTime: time.Now().UTC().Format(time.RFC3339Nano),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestDLQAgainstBroker(t *testing.T) {
	url, ns, ch := dlqBroker(t)
	dlq := ns + ".consumer.dlq"
	deadLetter(t, ch, dlq, "id-1", "bug 7: seq too large", `{"seq":1}`)
	deadLetter(t, ch, dlq, "id-2", "other trouble", `{"extra":true}`)
	base := []string{"-service", "consumer", "-namespace", ns, "-amqp", url, "-contracts", oneway}
	dlq1 := func(action string, args ...string) result {
		t.Helper()
		return runEvgen(t, append(append([]string{"dlq", action}, base...), args...)...)
	}

	got := dlq1("list")
	for _, want := range []string{"id-1", "producer.Ping v1", "key=7", "attempts=5", `reason="bug 7: seq too large"`, "seq=1", "seq=(missing, required)", `extra=true(not in contract)`} {
		if !strings.Contains(got.stdout, want) {
			t.Errorf("list: stdout lacks %q:\n%s", want, got.stdout)
		}
	}
	if got.code != exitOK || !strings.Contains(got.stderr, "2 dead letters") {
		t.Errorf("list: exit %d, stderr %q", got.code, got.stderr)
	}
	got = dlq1("show", "id-1")
	for _, want := range []string{"routing:      exchange \"ns.producer\", key \"producer.Ping.v1\"", "fields:\n  seq=1", "x-evgen-error: bug 7", `"seq": 1`} {
		if !strings.Contains(got.stdout, want) {
			t.Errorf("show: stdout lacks %q:\n%s", want, got.stdout)
		}
	}
	if got := dlq1("show", "id-nope"); got.code != 1 || !strings.Contains(got.stderr, "no dead letter id-nope") {
		t.Errorf("show of a missing ID: exit %d, stderr %q", got.code, got.stderr)
	}

	if got := dlq1("redrive", "-reason", "bug 7"); got.code != exitOK || !strings.Contains(got.stdout, "redrove 1 ") {
		t.Fatalf("redrive: exit %d, %q %q", got.code, got.stdout, got.stderr)
	}
	d, ok, err := ch.Get(service.QueueName(ns, "consumer"), true)
	if err != nil || !ok || d.MessageId != "id-1" || d.Headers[service.HeaderDLQError] != nil || d.Headers[runtime.HeaderType] != "producer.Ping" {
		t.Errorf("service queue got %v %v: id %q, headers %v", ok, err, d.MessageId, d.Headers)
	}

	old := stdin
	stdin = strings.NewReader("n\n")
	t.Cleanup(func() { stdin = old })
	if got := dlq1("drop", "-all"); got.code != exitOK || !strings.Contains(got.stdout, "nothing dropped") {
		t.Errorf("drop answered no: exit %d, %q", got.code, got.stdout)
	}
	if got := dlq1("drop", "-all", "-yes"); got.code != exitOK || !strings.Contains(got.stdout, "dropped 1 ") {
		t.Errorf("drop -yes: exit %d, %q %q", got.code, got.stdout, got.stderr)
	}
	if q, err := ch.QueueDeclarePassive(dlq, true, false, false, false, nil); err != nil || q.Messages != 0 {
		t.Errorf("dead-letter queue after drop: %d messages, %v", q.Messages, err)
	}
	if got := runEvgen(t, "dlq", "list", "-service", "nobody", "-namespace", ns, "-amqp", url); got.code != 1 || !strings.Contains(got.stderr, "not found") {
		t.Errorf("list of a service with no queue: exit %d, %q", got.code, got.stderr)
	}
}
