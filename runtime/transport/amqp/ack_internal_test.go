package amqp

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/evgenhq/evgen/internal/testenv"
)

// fakeChannel is the broker's side of basic.ack: it fails the test for an
// ack of a delivery not settled yet (acked before its commit) and for one
// the broker no longer knows (acked twice: RabbitMQ would close the
// channel), and counts the frames.
type fakeChannel struct {
	t       *testing.T
	mu      sync.Mutex
	settled map[uint64]bool // settled by the runtime
	acked   map[uint64]bool // acked on the broker
	frames  int
}

func newFakeChannel(t *testing.T) *fakeChannel {
	return &fakeChannel{t: t, settled: map[uint64]bool{}, acked: map[uint64]bool{}}
}

// settle records that the runtime settled tag (its commit is done).
func (f *fakeChannel) settle(tag uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.settled[tag] = true
}

func (f *fakeChannel) ack(tag uint64, multiple bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.frames++
	if f.acked[tag] {
		f.t.Errorf("ack of delivery %d, acked already: the broker closes the channel", tag)
	}
	from := tag
	if multiple {
		from = 1
	}
	for t := from; t <= tag; t++ {
		if !f.settled[t] {
			f.t.Errorf("ack through %d (multiple %v) acks delivery %d, not settled yet", tag, multiple, t)
		}
		f.acked[t] = true
	}
	return nil
}

// unacked lists the settled deliveries the broker still holds.
func (f *fakeChannel) unacked() []uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []uint64
	for t := range f.settled {
		if !f.acked[t] {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return out
}

func (f *fakeChannel) frameCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.frames
}

// TestChannelAcksNeverAckBeforeSettled: four workers settle batches of a
// channel's deliveries in any order, as concurrent mode does; no ack frame
// covers a delivery before it is settled, none is acked twice, and in the
// end every settled delivery is acked, in fewer frames than deliveries.
func TestChannelAcksNeverAckBeforeSettled(t *testing.T) {
	for seed := range uint64(20) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			const deliveries, batch = 2000, 16
			ch := newFakeChannel(t)
			acks := newChannelAcks(ch.ack, slog.Default())
			batches := make(chan []uint64)
			go func() {
				for first := uint64(1); first <= deliveries; first += batch {
					b := make([]uint64, 0, batch)
					for tag := first; tag < first+batch && tag <= deliveries; tag++ {
						b = append(b, tag)
					}
					batches <- b
				}
				close(batches)
			}()
			var wg sync.WaitGroup
			for w := range 4 {
				rng := rand.New(rand.NewPCG(seed, uint64(w)))
				wg.Go(func() {
					for b := range batches {
						settleBatch(t, rng, ch, acks, b)
					}
				})
			}
			wg.Wait()
			testenv.Eventually(t, 5*time.Second, "every settled delivery acked", func() bool { return len(ch.unacked()) == 0 })
			if n := ch.frameCount(); n >= deliveries/2 {
				t.Errorf("%d ack frames for %d deliveries: the runs were not acked together", n, deliveries)
			}
		})
	}
}

// settleBatch settles b as ackAll does, after a pause of a few hundred
// microseconds (the batch's transaction); one delivery in 50 is nacked
// instead, as a dead-lettered or requeued one is.
func settleBatch(t *testing.T, rng *rand.Rand, ch *fakeChannel, acks *channelAcks, b []uint64) {
	time.Sleep(time.Duration(rng.IntN(500)) * time.Microsecond)
	for i, tag := range b {
		ch.settle(tag)
		var err error
		switch {
		case rng.IntN(50) == 0:
			err = acks.nack(tag, func() error { return ch.ack(tag, false) }) // the broker forgets it as it does an acked one
		case i < len(b)-1:
			err = acks.ackLater(tag)
		default:
			err = acks.ack(tag)
		}
		if err != nil {
			t.Error(err)
		}
	}
}

// TestChannelAcksStuckDelivery: deliveries settled behind one that stays
// unsettled (retried after a backoff) are acked on their own after
// ackHold, not kept until it settles; and it is acked once it does.
func TestChannelAcksStuckDelivery(t *testing.T) {
	ch := newFakeChannel(t)
	acks := newChannelAcks(ch.ack, slog.Default())
	for tag := uint64(2); tag <= 5; tag++ {
		ch.settle(tag)
		if err := acks.ack(tag); err != nil {
			t.Fatal(err)
		}
	}
	testenv.Eventually(t, 5*time.Second, "deliveries 2 to 5 acked behind the stuck 1", func() bool { return len(ch.unacked()) == 0 })
	ch.settle(1)
	if err := acks.ack(1); err != nil {
		t.Fatal(err)
	}
	if got := ch.unacked(); len(got) != 0 {
		t.Errorf("unacked after the stuck delivery settled: %v", got)
	}
	ch.settle(6)
	if err := acks.ack(6); err != nil {
		t.Fatal(err)
	}
	if got := ch.unacked(); len(got) != 0 {
		t.Errorf("delivery 6, next after them all, still unacked: %v", got)
	}
}
