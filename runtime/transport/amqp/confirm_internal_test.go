package amqp

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime/transport"
)

// A publish abandoned at its deadline leaves its return and confirm on the
// way. They belong to it: a later publish with the same ID on the same
// channel (a retry) must not be reported unroutable for them, and no stale
// return may stay behind to fill the channel's returns buffer.
func TestAbandonedReturnIsNotReportedForALaterPublish(t *testing.T) {
	url := testenv.AMQPURL(t)
	queue := declareTestQueue(t, url)
	px := testenv.NewProxy(t, brokerHost(t, url))
	c := onePublisherChannel(t, withHost(t, url, px.Addr()))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	id := uuid.NewString()
	pub := amqp.Publishing{MessageId: id, DeliveryMode: amqp.Persistent, Body: []byte(`{}`)}
	px.Pause()
	short, cancelShort := context.WithTimeout(ctx, 300*time.Millisecond)
	err := c.publish(short, outgoing{exchange: "", key: testenv.UniqueName("nowhere"), pub: pub})
	cancelShort()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("publish whose confirm is held: got %v, want the deadline", err)
	}
	px.Resume()

	if err := c.publish(ctx, outgoing{exchange: "", key: queue, pub: pub}); err != nil {
		t.Fatalf("routable publish reusing the ID of an abandoned unroutable one: %v", err)
	}
	testenv.Eventually(t, 10*time.Second, "the abandoned publish to end", func() bool { return len(c.slots) == 0 })
	c.mu.Lock()
	stale := len(c.returned) + len(c.returns)
	c.mu.Unlock()
	if stale != 0 {
		t.Fatalf("%d returns left unmatched on the channel", stale)
	}
}

// brokerHost is the host:port of the broker URL u.
func brokerHost(t *testing.T, u string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return p.Host
}

// withHost is the broker URL u with host (host:port) instead of its own.
func withHost(t *testing.T, u, host string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	p.Host = host
	return p.String()
}

// onePublisherChannel returns the confirm channel of a publisher with one
// channel, connected to url; closed when t ends.
func onePublisherChannel(t *testing.T, url string) *confirmChannel {
	t.Helper()
	b := testBinding(t, url, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pc, err := b.pub.conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return pc.chans[0].Load()
}

// testBinding is a binding of a service that only publishes, with
// channels publisher channels, to the broker at url; closed when t ends.
func testBinding(t *testing.T, url string, channels int) *binding {
	t.Helper()
	b, err := New(url).Bind(transport.Env{Service: "publisher", Names: testNames{}, PublisherChannels: channels})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b.(*binding)
}

// testNames are the default namespace's names, as the engine gives them.
type testNames struct{}

func (testNames) Exchange(producer string) string { return "evgen." + producer }
func (testNames) EventLog(producer string) string { return "evgen." + producer + ".log" }

// declareTestQueue declares a queue of its own on the broker at url and
// deletes it when t ends.
func declareTestQueue(t *testing.T, url string) string {
	t.Helper()
	conn, err := amqp.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	name := testenv.UniqueName("evgentest_confirm")
	if _, err := ch.QueueDeclare(name, false, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := ch.QueueDelete(name, false, false, false); err != nil {
			t.Errorf("cleanup: delete queue %s: %v", name, err)
		}
	})
	return name
}
