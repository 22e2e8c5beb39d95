package service_test

import (
	"context"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store/memory"
)

// A service whose queue exists with other arguments cannot consume: the
// broker refuses the declaration with 406 every time. Run must give up and
// say which queue and argument, rather than wait forever for its relay,
// prune and resync helpers while consuming nothing.
func TestRefusedDeclarationEndsRun(t *testing.T) {
	tests := []struct {
		name    string
		args    func(dlq string) amqp.Table // of the queue declared before the service
		wantArg string
	}{
		{"plain queue, no dead-letter exchange", func(string) amqp.Table { return nil }, "x-dead-letter-exchange"},
		{"other queue type", func(dlq string) amqp.Table {
			return amqp.Table{"x-queue-type": "quorum", "x-dead-letter-exchange": "", "x-dead-letter-routing-key": dlq}
		}, "x-queue-type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBroker(t)
			queue := service.QueueName(b.NS, "billing")
			svc, _ := b.Service(t, billingContract, memory.New(), func(c *service.Config) { c.QueueType = service.ClassicQueue })
			if err := svc.Register(runtime.On(func(context.Context, userRegistered, runtime.Meta) error { return nil })); err != nil {
				t.Fatal(err)
			}
			if _, err := b.Channel(t).QueueDeclare(queue, true, false, false, false, tt.args(service.DeadLetterQueueName(b.NS, "billing"))); err != nil {
				t.Fatalf("pre-declare %s: %v", queue, err)
			}

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- svc.Run(ctx) }()
			var err error
			select {
			case err = <-done:
			case <-time.After(5 * time.Second):
				cancel()
				t.Fatal("Run did not return within 5s of a refused declaration")
			}
			if err == nil {
				t.Fatal("Run returned nil after the broker refused the queue declaration")
			}
			t.Logf("Run: %v", err)
			for _, want := range []string{queue, tt.wantArg, "PRECONDITION_FAILED"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Run's error does not name %q: %v", want, err)
				}
			}
		})
	}
}
