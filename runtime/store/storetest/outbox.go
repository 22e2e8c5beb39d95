package storetest

import (
	"context"
	"database/sql"
	"errors"
	"maps"
	"slices"
	"sync"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/store"
)

// RunOutbox runs the outbox half of the suite.
func RunOutbox(t *testing.T, newStore NewStore) {
	for _, tc := range []struct {
		name string
		test func(*testing.T, store.Store)
	}{
		{"RolledBackPublishesNothing", testRolledBack},
		{"CommittedDeliveredOnceIntact", testDeliveredIntact},
		{"CommitOrder", testCommitOrder},
		{"FailedPublishRetried", testFailedPublishRetried},
		{"BatchCommitOrder", testBatchCommitOrder},
		{"RelayKilledAndRestarted", testRelayRestarted},
		{"PruneKeepsUnsent", testPruneOutbox},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.test(t, newStore(t)) })
	}
}

// Recorder is a runtime.Publisher that keeps copies of what it was given.
// Fail, when set, decides per message whether Publish fails and whether
// the message reached the broker anyway (a confirm lost on the way back).
type Recorder struct {
	mu     sync.Mutex
	got    []*message.Message
	calls  int
	notify chan struct{}
	Fail   func(call int, m *message.Message) (fail, delivered bool)
}

// NewRecorder returns an empty Recorder that accepts everything.
func NewRecorder() *Recorder { return &Recorder{notify: make(chan struct{}, 1)} }

// Publish records copies of msgs unless Fail says otherwise.
func (r *Recorder) Publish(ctx context.Context, msgs ...*message.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range msgs {
		r.calls++
		fail, delivered := false, true
		if r.Fail != nil {
			fail, delivered = r.Fail(r.calls, m)
		}
		if delivered {
			r.got = append(r.got, m.Copy())
		}
		if fail {
			return errors.New("recorder: publish failed")
		}
	}
	select {
	case r.notify <- struct{}{}:
	default:
	}
	return nil
}

// IDs returns the IDs received so far, in order, duplicates included.
func (r *Recorder) IDs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	ids := make([]string, len(r.got))
	for i, m := range r.got {
		ids[i] = m.UUID
	}
	return ids
}

// WaitFor waits until the recorder holds every id in ids.
func (r *Recorder) WaitFor(t *testing.T, ids ...string) {
	t.Helper()
	ctx := testContext(t)
	for {
		have := make(map[string]bool)
		for _, id := range r.IDs() {
			have[id] = true
		}
		missing := slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return have[id] })
		if len(missing) == 0 {
			return
		}
		select {
		case <-r.notify:
		case <-ctx.Done():
			t.Fatalf("relay did not deliver %d of %d events (first missing %s); got %v", len(missing), len(ids), missing[0], r.IDs())
		}
	}
}

// relay runs s.Relay(ctx, pub) in the background; stop cancels it and
// waits for it to return, failing t if it returned an error.
func relay(t *testing.T, s store.Store, pub runtime.Publisher) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Relay(ctx, pub) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("relay: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// publish writes msgs through the outbox in one committed transaction, or
// at once for a store without SQL (Publisher(nil)).
func publish(t *testing.T, s store.Store, msgs ...*message.Message) {
	t.Helper()
	ctx := testContext(t)
	if s.DB() == nil {
		if err := s.Publisher(nil).Publish(ctx, msgs...); err != nil {
			t.Fatalf("publish: %v", err)
		}
		return
	}
	tx, err := s.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatalf("begin: %v", err)
	}
	if err := s.Publisher(tx).Publish(ctx, msgs...); err != nil {
		t.Fatalf("publish: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatalf("commit: %v", err)
	}
}

// sqlTxPlaceholder stands for a producer's transaction given to a store
// without SQL, which must refuse it without using it.
var sqlTxPlaceholder sql.Tx

func testRolledBack(t *testing.T, s store.Store) {
	if s.DB() == nil {
		if err := s.Publisher(&sqlTxPlaceholder).Publish(testContext(t), newMessage(1)); err == nil {
			t.Error("a store without SQL accepted a publish in a SQL transaction")
		}
		t.Skip("store has no SQL transactions to roll back")
	}
	ctx := testContext(t)
	tx, err := s.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatalf("begin: %v", err)
	}
	if err := s.Publisher(tx).Publish(ctx, newMessage(1)); err != nil {
		t.Fatalf("publish: %v", err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatalf("rollback: %v", err)
	}
	publish(t, s, newMessage(2))

	rec := NewRecorder()
	stop := relay(t, s, rec)
	rec.WaitFor(t, newMessage(2).UUID)
	waitBacklogEmpty(t, s)
	stop()
	if got, want := rec.IDs(), []string{newMessage(2).UUID}; !slices.Equal(got, want) {
		t.Errorf("relayed %v, want only the committed %v", got, want)
	}
}

func testDeliveredIntact(t *testing.T, s store.Store) {
	sent := newMessage(1)
	publish(t, s, sent) // no relay yet: publishing needs no broker
	rec := NewRecorder()
	stop := relay(t, s, rec)
	rec.WaitFor(t, sent.UUID)
	publish(t, s, newMessage(2)) // a later event: once it is through, a duplicate of the first would be too
	rec.WaitFor(t, newMessage(2).UUID)
	waitBacklogEmpty(t, s)
	stop()

	if got := rec.IDs(); len(got) != 2 {
		t.Fatalf("relayed %v, want each of 2 events once", got)
	}
	got := rec.got[0]
	if got.UUID != sent.UUID || string(got.Payload) != string(sent.Payload) || !maps.Equal(got.Metadata, sent.Metadata) {
		t.Errorf("relayed\n  %s %s %v\nwant\n  %s %s %v", got.UUID, got.Payload, got.Metadata, sent.UUID, sent.Payload, sent.Metadata)
	}
	assertBacklog(t, s, nil)
}

// testCommitOrder: one producer's events, some several to a transaction,
// arrive in commit order.
func testCommitOrder(t *testing.T, s store.Store) {
	var want []string
	rec := NewRecorder()
	stop := relay(t, s, rec)
	for i := 0; i < 60; {
		n := 1 + i%3
		msgs := make([]*message.Message, n)
		for j := range msgs {
			msgs[j] = newMessage(i)
			want = append(want, msgs[j].UUID)
			i++
		}
		publish(t, s, msgs...)
	}
	rec.WaitFor(t, want...)
	waitBacklogEmpty(t, s)
	stop()
	if got := rec.IDs(); !slices.Equal(got, want) {
		t.Errorf("relayed in order\n  %v\nwant commit order\n  %v", got, want)
	}
}

// testFailedPublishRetried: a broker that refuses a few publishes loses
// nothing and delivers in order; nothing refused counts as sent.
func testFailedPublishRetried(t *testing.T, s store.Store) {
	want := publishN(t, s, 10)
	rec := NewRecorder()
	rec.Fail = func(call int, _ *message.Message) (bool, bool) {
		refuse := call >= 4 && call <= 6
		return refuse, !refuse
	}
	stop := relay(t, s, rec)
	rec.WaitFor(t, want...)
	waitBacklogEmpty(t, s)
	stop()
	if got := rec.IDs(); !slices.Equal(got, want) {
		t.Errorf("relayed %v, want %v", got, want)
	}
}

func publishN(t *testing.T, s store.Store, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range n {
		m := newMessage(i)
		publish(t, s, m)
		ids[i] = m.UUID
	}
	return ids
}

// testRelayRestarted kills a relay in the middle, the way a crash between
// the broker's confirm and the mark would (the event reached the broker,
// the publish reports failure, the relay stops), and starts another: every
// committed event is delivered at least once, the second relay sends
// exactly what the first had not marked sent, and the duplicates are only
// of events not marked: a consumer's inbox, deduplicating by ID, applies
// each once.
func testRelayRestarted(t *testing.T, s store.Store) {
	committed := publishN(t, s, 40)
	ctx, cancel := context.WithCancel(context.Background())
	first := NewRecorder()
	first.Fail = func(call int, _ *message.Message) (bool, bool) {
		if call == 16 {
			cancel()
			return true, true
		}
		return false, true
	}
	if err := s.Relay(ctx, first); err != nil {
		t.Fatalf("first relay: %v", err)
	}
	unsent := backlog(t, s)
	t.Logf("killed relay delivered %d events and left %d of %d unmarked", len(first.IDs()), len(unsent), len(committed))
	if len(unsent) == 0 || len(unsent) == len(committed) && len(first.IDs()) == 0 {
		t.Fatalf("after the killed relay the backlog is %v; the test needs a relay killed in the middle", unsent)
	}
	if !slices.Equal(unsent, committed[len(committed)-len(unsent):]) {
		t.Fatalf("backlog %v is not the tail of the committed events", unsent)
	}

	second := NewRecorder()
	stop := relay(t, s, second)
	second.WaitFor(t, unsent...)
	publish(t, s, newMessage(99))
	second.WaitFor(t, newMessage(99).UUID)
	waitBacklogEmpty(t, s)
	stop()

	if got, want := second.IDs(), append(slices.Clone(unsent), newMessage(99).UUID); !slices.Equal(got, want) {
		t.Errorf("restarted relay sent %v, want exactly the unmarked backlog then the new event %v", got, want)
	}
	delivered := make(map[string]int)
	for _, id := range append(first.IDs(), second.IDs()...) {
		delivered[id]++
	}
	for _, id := range committed {
		switch n := delivered[id]; {
		case n == 0:
			t.Errorf("event %s committed but never delivered", id)
		case n > 1 && !slices.Contains(unsent, id):
			t.Errorf("event %s delivered %d times though it was marked sent", id, n)
		}
	}
	assertBacklog(t, s, nil)
}

func backlog(t *testing.T, s store.Store) []string {
	t.Helper()
	b, ok := s.(Backlogger)
	if !ok {
		t.Fatalf("%T does not implement storetest.Backlogger", s)
	}
	ids, err := b.Backlog(testContext(t))
	if err != nil {
		t.Fatalf("backlog: %v", err)
	}
	return ids
}

func assertBacklog(t *testing.T, s store.Store, want []string) {
	t.Helper()
	if got := backlog(t, s); !slices.Equal(got, want) {
		t.Errorf("backlog = %v, want %v", got, want)
	}
}

// waitBacklogEmpty waits until the relay has marked everything sent: a
// publish that returned nil is marked just after, so the test polls. Tests
// that assert exactly-once delivery wait for it before stopping the relay,
// because a relay stopped with an event sent but not yet marked may send
// that event again (at least once: the consumers' inboxes drop it).
func waitBacklogEmpty(t *testing.T, s store.Store) {
	t.Helper()
	testenv.Eventually(t, waitTimeout, "an empty outbox backlog", func() bool { return len(backlog(t, s)) == 0 })
}

// testPruneOutbox: Prune deletes sent outbox rows (the SQL stores keep them
// until then; the memory store drops them once sent), never unsent ones.
func testPruneOutbox(t *testing.T, s store.Store) {
	sent := publishN(t, s, 2)
	rec := NewRecorder()
	stop := relay(t, s, rec)
	rec.WaitFor(t, sent...)
	waitBacklogEmpty(t, s)
	stop()
	unsent := newMessage(7)
	publish(t, s, unsent)

	n, err := s.(store.Pruner).Prune(testContext(t), 0)
	if err != nil {
		t.Fatalf("prune: %v", err)
	}
	want := int64(len(sent))
	if s.DB() == nil {
		want = 0
	}
	if n != want {
		t.Errorf("Prune(0) deleted %d rows, want the %d sent outbox rows", n, want)
	}
	assertBacklog(t, s, []string{unsent.UUID})
}
