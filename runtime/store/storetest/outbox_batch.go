package storetest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/store"
)

// batchPoisoner is a poisoner that also takes whole batches, as the
// Service does (store.BatchPublisher): each event's outcome is the
// poisoner's, and the good ones are recorded in the batch's order.
type batchPoisoner struct {
	*poisoner
	mu      sync.Mutex
	largest int // events in the largest batch so far
}

var _ store.BatchPublisher = (*batchPoisoner)(nil)

func newBatchPoisoner(poison ...string) *batchPoisoner {
	return &batchPoisoner{poisoner: newPoisoner(poison...)}
}

// PublishBatch implements store.BatchPublisher.
func (b *batchPoisoner) PublishBatch(ctx context.Context, msgs []*message.Message) []error {
	b.mu.Lock()
	b.largest = max(b.largest, len(msgs))
	b.mu.Unlock()
	errs := make([]error, len(msgs))
	for i, m := range msgs {
		errs[i] = b.poisoner.Publish(ctx, m)
	}
	return errs
}

func (b *batchPoisoner) largestBatch() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.largest
}

// testBatchCommitOrder: a relay given a store.BatchPublisher sends every
// event once, in commit order; the SQL stores' relays hand it whole
// batches (the memory store's sends one at a time).
func testBatchCommitOrder(t *testing.T, s store.Store) {
	want := publishN(t, s, 25)
	p := newBatchPoisoner()
	stop := relay(t, s, p)
	p.WaitFor(t, want...)
	waitBacklogEmpty(t, s)
	stop()
	if got := p.IDs(); !slices.Equal(got, want) {
		t.Errorf("relayed %v, want each event once in commit order %v", got, want)
	}
	if s.DB() != nil && p.largestBatch() < 2 {
		t.Errorf("largest batch handed to PublishBatch: %d events; want the relay to batch the %d committed events", p.largestBatch(), len(want))
	}
}

// testBatchPoisonSetAside is testPoisonSetAside through a
// store.BatchPublisher: the poison events are set aside and reported once;
// the events before the transient failure are sent once; the failed one
// is sent again, followed by every event after it in commit order (those
// the broker took in the failed batch are sent twice: at least once).
func testBatchPoisonSetAside(t *testing.T, s store.Store) {
	m := make([]*message.Message, 8)
	for i := range m {
		m[i] = newMessage(i)
	}
	p := newBatchPoisoner(m[1].UUID, m[5].UUID)
	p.flaky[m[3].UUID] = true
	for _, tx := range [][]*message.Message{{m[0]}, {m[1]}, {m[2]}, {m[3]}, {m[4], m[5], m[6]}, {m[7]}} {
		publish(t, s, tx...)
	}
	stop := relay(t, s, p)
	p.WaitFor(t, m[0].UUID, m[2].UUID, m[3].UUID, m[4].UUID, m[6].UUID, m[7].UUID)
	waitBacklogEmpty(t, s)
	p.waitReported(t, 2)
	stop()

	got := p.IDs()
	if n := countIn(got, m[0].UUID) + countIn(got, m[2].UUID); n != 2 {
		t.Errorf("relayed %v: want %s and %s, confirmed before the failure, once each", got, m[0].UUID, m[2].UUID)
	}
	retried := slices.Index(got, m[3].UUID)
	if want := []string{m[3].UUID, m[4].UUID, m[6].UUID, m[7].UUID}; retried < 0 || !slices.Equal(got[retried:], want) {
		t.Errorf("relayed %v, want it to end with the failed event and the rest in commit order %v", got, want)
	}
	if got, want := p.reports(), []string{m[1].UUID, m[5].UUID}; !slices.Equal(got, want) {
		t.Errorf("reported set aside %v, want each poison event once: %v", got, want)
	}
	if got, want := setAsideIDs(t, s), []string{m[1].UUID, m[5].UUID}; !slices.Equal(got, want) {
		t.Errorf("set aside %v, want %v", got, want)
	}
	for _, err := range p.reasons {
		if !errors.Is(err, errPoison) || !runtime.IsPermanent(err) {
			t.Errorf("reported set aside for %v, want the permanent poison error", err)
		}
	}
	assertBacklog(t, s, nil)
}

func countIn(ids []string, id string) int {
	n := 0
	for _, x := range ids {
		if x == id {
			n++
		}
	}
	return n
}
