package amqp

import (
	"context"
	"testing"
	"time"

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
