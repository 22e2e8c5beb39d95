package amqp

import (
	"context"
	"errors"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/evgenhq/evgen/internal/testenv"
)

// A channel error on one publisher channel must not close the connection:
// the publishes in flight on its other channels would fail, and their
// retries duplicate events the broker had already routed. The closed
// channel is reopened in place instead.
func TestChannelErrorKeepsThePublisherConnection(t *testing.T) {
	url := testenv.AMQPURL(t)
	p := testBinding(t, url, 2).pub
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pc, err := p.conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	other := pc.chans[1].Load()
	// A declaration the broker refuses closes the channel with 404, as a
	// channel error does.
	if err := pc.chans[0].Load().ch.ExchangeDeclarePassive(testenv.UniqueName("missing"), "topic", true, false, false, false, nil); err == nil {
		t.Fatal("passive declaration of a missing exchange succeeded")
	}
	if !pc.chans[0].Load().closed() {
		t.Fatal("channel still open after a channel error")
	}

	again, err := p.conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if again != pc || pc.conn.IsClosed() {
		t.Fatal("the publisher connection was closed for a channel error")
	}
	if pc.chans[1].Load() != other || other.closed() {
		t.Fatal("the healthy channel was replaced or closed")
	}
	if pc.chans[0].Load().closed() {
		t.Fatal("the failed channel was not reopened")
	}
}

// A channel that got a nack may keep a stale view of the queue that
// nacked (a quorum queue between leaders), so the publisher replaces it:
// the next publish goes out on a fresh channel. A full queue that rejects
// publishes gives the nack here (a classic one: a quorum queue learns
// that it is full only after the fact).
func TestNackedChannelIsReplaced(t *testing.T) {
	url := testenv.AMQPURL(t)
	p := testBinding(t, url, 1).pub
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pc, err := p.conn(ctx)
	if err != nil {
		t.Fatal(err)
	}

	queue := testenv.UniqueName("full")
	setup, err := pc.conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	args := amqp.Table{"x-queue-type": "classic", "x-max-length": int64(1), "x-overflow": "reject-publish"}
	if _, err := setup.QueueDeclare(queue, true, false, false, false, args); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		defer setup.Close()
		if _, err := setup.QueueDelete(queue, false, false, false); err != nil {
			t.Errorf("cleanup: delete queue %s: %v", queue, err)
		}
	})
	fill := outgoing{exchange: "", key: queue, pub: amqp.Publishing{MessageId: "fills", Body: []byte("{}")}}
	if err := pc.chans[0].Load().publish(ctx, fill); err != nil {
		t.Fatalf("publish the event that fills the queue: %v", err)
	}

	first := pc.chans[0].Load()
	o := outgoing{exchange: "", key: queue, pub: amqp.Publishing{MessageId: "nacked", Body: []byte("{}")}}
	if err := first.publish(ctx, o); !errors.Is(err, errNotConfirmed) {
		t.Fatalf("publish into a full reject-publish queue: %v, want %v", err, errNotConfirmed)
	}
	again, err := p.conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if again.chans[0].Load() == first {
		t.Fatal("the next publish would go out on the channel that was nacked")
	}
	if again.chans[0].Load().closed() {
		t.Fatal("the nacked channel was not replaced by an open one")
	}
}
