package amqp

import (
	"log/slog"
	"sync"
	"time"
)

// The AMQP consumer acks a run of settled deliveries with one
// multiple-ack. On a quorum queue every ack frame is a command through the
// queue's Raft log: counted with a frame-counting proxy, the concurrent
// consumer sent one basic.ack per event where the raw batched consumer
// sends one per batch, and the broker spent 3.8 times its CPU per event.
//
// A batch's last delivery cannot simply ack through: in concurrent mode up
// to four batches are applied at once and commit in any order, so earlier
// deliveries of the channel may belong to a batch still in flight, and a
// multiple-ack would ack them before their commit. channelAcks therefore
// keeps which deliveries of its channel are settled, and sends an ack only
// through the longest run of settled ones that starts at the oldest
// delivery not yet acked. A delivery settled behind one that is not held
// back for long: once the oldest unsettled delivery has stayed so for
// ackHold (a retry's backoff, a slow handler), the ones waiting behind it
// are acked one by one.

// ackHold is how long settled deliveries wait behind an older one that is
// not settled before they are acked on their own: long enough for the
// batches in flight to commit (in consume-evgen-pg-concurrent on the
// loaded benchmark machine, 100 of 5,000 deliveries still waited it out),
// short enough that a stuck delivery does not keep prefetch slots taken.
const ackHold = 10 * time.Millisecond

// channelAcks settles the deliveries of one channel. Delivery tags are
// numbered from 1 in the order the broker sent them.
type channelAcks struct {
	send func(tag uint64, multiple bool) error // the channel's basic.ack
	log  *slog.Logger

	mu      sync.Mutex
	next    uint64          // the oldest delivery not settled: every older one is
	settled map[uint64]bool // settled deliveries from next on; true while its ack is still to be sent
	held    int             // how many of settled are true
	timer   *time.Timer     // armed while held > 0
}

func newChannelAcks(send func(uint64, bool) error, log *slog.Logger) *channelAcks {
	return &channelAcks{send: send, log: log, next: 1, settled: map[uint64]bool{}}
}

// ack settles tag and sends the acks it can.
func (a *channelAcks) ack(tag uint64) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.mark(tag, true)
	return a.advance()
}

// ackLater settles tag; its ack goes with the next one sent.
func (a *channelAcks) ackLater(tag uint64) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.mark(tag, true)
	a.arm()
	return nil
}

// ackThrough settles tag and every delivery before it (ordered mode,
// which settles in queue order), and sends the acks it can.
func (a *channelAcks) ackThrough(tag uint64) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	for t := a.next; t <= tag; t++ {
		if _, ok := a.settled[t]; !ok {
			a.mark(t, true)
		}
	}
	return a.advance()
}

// nack settles tag with send, a basic.nack or basic.reject of tag alone.
func (a *channelAcks) nack(tag uint64, send func() error) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	err := send()
	a.mark(tag, false)
	if aerr := a.advance(); err == nil {
		err = aerr
	}
	return err
}

// flush acks every delivery settled but not acked, one by one: the
// channel is about to close.
func (a *channelAcks) flush() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.sendHeld()
}

// mark records tag as settled, toAck if its ack is still to be sent.
func (a *channelAcks) mark(tag uint64, toAck bool) {
	if tag < a.next {
		return // covered by a multiple-ack already
	}
	if was, ok := a.settled[tag]; ok && was {
		a.held--
	}
	a.settled[tag] = toAck
	if toAck {
		a.held++
	}
}

// advance moves next past the settled run at its start and sends one
// multiple-ack through the last delivery of the run still to be acked.
func (a *channelAcks) advance() error {
	var through uint64
	for {
		toAck, ok := a.settled[a.next]
		if !ok {
			break
		}
		delete(a.settled, a.next)
		if toAck {
			through = a.next
			a.held--
		}
		a.next++
	}
	a.arm()
	if through == 0 {
		return nil
	}
	return a.send(through, true)
}

// arm starts the timer that acks held deliveries one by one if the oldest
// unsettled delivery is still the same after ackHold.
func (a *channelAcks) arm() {
	if a.held == 0 || a.timer != nil {
		return
	}
	front := a.next
	a.timer = time.AfterFunc(ackHold, func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		a.timer = nil
		if a.next == front {
			a.sendHeld()
		}
		a.arm()
	})
}

// sendHeld acks each held delivery on its own. A failed ack is logged: the
// broker redelivers the event and the inbox skips it.
func (a *channelAcks) sendHeld() {
	for tag, toAck := range a.settled {
		if !toAck {
			continue
		}
		a.settled[tag] = false
		a.held--
		if err := a.send(tag, false); err != nil {
			a.log.Warn("ack failed; the event will be redelivered and skipped by the inbox", "delivery_tag", tag, "err", err)
		}
	}
}
