package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/evgenhq/evgen/internal/testenv"
)

// TestDemoInProcess tells every story with both services in this process,
// so that CI covers the demo's fallback for machines without RabbitMQ;
// .ci/run runs the demo against RabbitMQ too.
func TestDemoInProcess(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-inprocess"}, &out); err != nil {
		t.Fatalf("demo failed: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"billing caught up from its queue: the last email, version 3",
		"users marked Ada payment_overdue",
		"users added it to what Ada owes",
		"users answered at once, before billing",
		"Ada is active again, with billing's reason",
		"billing's reason no longer holds",
		"Ada is deleted on both sides",
		"billing's inbox dropped the copy",
		"The 4 stories told did what they claimed",
		"the other 2 need RabbitMQ",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestDemoOverNATS tells the stories over NATS JetStream, the two services
// built and run as processes: the catch-up from billing's durable
// consumer, the choreography, the saga, the late and doubled events, and a
// brand-new billing's sync from users' stream; the resync story needs
// RabbitMQ.
func TestDemoOverNATS(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-transport", testenv.NATSURL(t)}, &out); err != nil {
		t.Fatalf("demo failed: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"NATS JetStream at",
		"billing caught up from its queue: the last email, version 3",
		"billing applied each change once, in order",
		"Ada is deleted on both sides",
		"JetStream dropped the copy when it was published",
		"the sync reached the end of users' log as of its start",
		"the new billing's copy of all 150 newcomers matches users",
		"The 5 stories told did what they claimed",
		"the other 1 needs RabbitMQ",
		"evgen's resync goes through RabbitMQ queues only",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
