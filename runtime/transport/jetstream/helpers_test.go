package jetstream_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime/transport/jetstream"
)

// broker is the test's NATS server and namespace: every stream of the
// namespace is deleted when the test ends.
type broker struct {
	url, namespace string
	js             nats.JetStreamContext
}

func newBroker(t testing.TB) *broker {
	t.Helper()
	url := testenv.NATSURL(t)
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatalf("connect to NATS at %s: %v", url, err)
	}
	t.Cleanup(nc.Close)
	js, err := nc.JetStream()
	if err != nil {
		t.Fatal(err)
	}
	b := &broker{url: url, namespace: strings.ToLower(testenv.UniqueName("js")), js: js}
	t.Cleanup(func() { b.deleteStreams(t) })
	return b
}

// deleteStreams deletes the namespace's streams, and with them their
// consumers.
func (b *broker) deleteStreams(t testing.TB) {
	t.Helper()
	for name := range b.js.StreamNames() {
		if !strings.HasPrefix(name, b.namespace+"_") {
			continue
		}
		if err := b.js.DeleteStream(name); err != nil && !errors.Is(err, nats.ErrStreamNotFound) {
			t.Errorf("delete stream %s: %v", name, err)
		}
	}
}

// drained reports whether service's consumer of producer's stream holds
// nothing undelivered or unacked.
func (b *broker) drained(t testing.TB, producer, service string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	info, err := b.js.ConsumerInfo(jetstream.StreamName(b.namespace+"."+producer), b.namespace+"_"+service, nats.Context(ctx))
	if err != nil {
		t.Logf("consumer info of %s on %s: %v", service, producer, err)
		return false
	}
	return info.NumPending == 0 && info.NumAckPending == 0 && info.NumRedelivered == 0
}
