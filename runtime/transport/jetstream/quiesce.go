package jetstream

import (
	"context"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// Before a stopping subscription ends, the server must have nothing more
// in flight to it. JetStream's push consumer sends from a goroutine of
// its own: an event it sends after the server took the subscription's
// unsubscribe is dropped, and counts as delivered and unacked until
// AckWait (seen under the race detector: a restart stood still for 30 s,
// holding 8 events the stopped replica never received). Once the service
// stopped taking events, the subscription acks nothing more, so the
// consumer's unacked count only grows, and the server stops sending when
// it reaches MaxAckPending or the stream has nothing more. So the
// subscription waits, before it unsubscribes, until the server delivered
// nothing it has not received and sends nothing more. With other
// replicas bound to the consumer and events left to deliver, it cannot
// tell their deliveries from its own and gives up after quiesceTimeout;
// an event the server sends it in the instant before it unsubscribes then
// still comes back only after AckWait.

// quiesceTimeout bounds the wait; quiescePoll is how often it asks.
const (
	quiesceTimeout = time.Second
	quiescePoll    = 5 * time.Millisecond
)

// delivered tracks the highest delivery sequence a subscription received.
type delivered struct {
	mu  sync.Mutex
	seq uint64
}

func (d *delivered) saw(m *nats.Msg) {
	meta, err := m.Metadata()
	if err != nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.seq = max(d.seq, meta.Sequence.Consumer)
}

func (d *delivered) get() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.seq
}

// quiesce waits until the consumer of ns has delivered nothing the
// subscription did not receive and will send nothing more, at most
// quiesceTimeout.
func (sub *subscription) quiesce(ns *nats.Subscription) {
	ctx, cancel := context.WithTimeout(context.Background(), quiesceTimeout)
	defer cancel()
	tick := time.NewTicker(quiescePoll)
	defer tick.Stop()
	for {
		if err := sub.s.nc.FlushWithContext(ctx); err == nil { // the server has the acks sent before
			if info, err := ns.ConsumerInfo(); err == nil && sub.quiet(info) {
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// quiet reports that the consumer info describes has nothing more to
// send the subscription: nothing left at all, or everything it delivered
// received and no room to deliver more.
func (sub *subscription) quiet(info *nats.ConsumerInfo) bool {
	if info.NumPending == 0 && info.NumAckPending == 0 {
		return true
	}
	return info.Delivered.Consumer <= sub.seen.get() &&
		(info.NumPending == 0 || info.NumAckPending >= info.Config.MaxAckPending)
}
