package jetstream_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/evgenhq/evgen/internal/golden/oneway/consumerevents"
	"github.com/evgenhq/evgen/internal/golden/oneway/producerevents"
	"github.com/evgenhq/evgen/internal/testenv"
	tt "github.com/evgenhq/evgen/internal/transporttest"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store"
	"github.com/evgenhq/evgen/runtime/store/memory"
	"github.com/evgenhq/evgen/runtime/transport/jetstream"
)

// publishIDs publishes a UserRegistered with each of ids, in order.
func publishIDs(t *testing.T, users *service.Service, ids []string) {
	t.Helper()
	for _, id := range ids {
		tt.Publish(t, users, tt.UserRegistered{UserID: id}, runtime.WithID(id))
	}
}

func idsFrom(prefix string, from, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s-%04d", prefix, from+i)
	}
	return ids
}

func syncCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// A brand-new billing, which has never run, syncs every event users
// published before billing's consumer existed, in publish order, each
// once; events users publishes during the sync reach billing's consumer,
// and once billing runs, everything is applied once, nothing twice.
func TestSyncNewConsumerFromStart(t *testing.T) {
	b := newBroker(t)
	users := b.service(t, tt.UsersContract, memory.New(), opts)
	before := idsFrom("before", 0, 300)
	publishIDs(t, users, before)

	var billing tt.Applied
	st := memory.New()
	svc := b.service(t, tt.BillingContract, st, opts)
	tt.Register(t, svc, billing.RegisteredHandler())
	during := idsFrom("during", 0, 100)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); publishIDs(t, users, during) }()
	p, err := svc.Sync(syncCtx(t), "users", runtime.SyncFromStart(), runtime.SyncOptions{})
	wg.Wait()
	if err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if !p.Done || p.First != 1 || p.Applied < int64(len(before)) {
		t.Errorf("Sync progress %+v: want done, from sequence 1, at least %d applied", p, len(before))
	}
	if got := billing.Snapshot(); len(got) < len(before) || !slices.Equal(got[:len(before)], before) {
		t.Fatalf("Sync applied %d events, want the %d published before it first, in order", len(got), len(before))
	}

	tt.Run(t, svc)
	testenv.Eventually(t, 30*time.Second, "billing to apply the events published during the sync", func() bool {
		_, d := billing.Counts()
		return d == len(before)+len(during)
	})
	testenv.Eventually(t, 10*time.Second, "billing's consumer to be drained", func() bool { return b.drained(t, "users", "billing") })
	if n, d := billing.Counts(); n != d || d != len(before)+len(during) {
		t.Errorf("billing applied %d events (%d distinct), want each of %d once", n, d, len(before)+len(during))
	}
}

// A sync from a time reads the events published from then on, not the
// older ones.
func TestSyncFromTime(t *testing.T) {
	b := newBroker(t)
	users := b.service(t, tt.UsersContract, memory.New(), opts)
	publishIDs(t, users, idsFrom("old", 0, 20))
	last, err := b.js.GetMsg(jetstream.StreamName(b.namespace+".users"), 20)
	if err != nil {
		t.Fatal(err)
	}
	cut := last.Time.Add(time.Nanosecond) // just after the last old event was stored
	newer := idsFrom("new", 0, 30)
	publishIDs(t, users, newer)

	var billing tt.Applied
	svc := b.service(t, tt.BillingContract, memory.New(), opts)
	tt.Register(t, svc, billing.RegisteredHandler())
	p, err := svc.Sync(syncCtx(t), "users", runtime.SyncFromTime(cut), runtime.SyncOptions{})
	if err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if got := billing.Snapshot(); !slices.Equal(got, newer) {
		t.Errorf("Sync from %s applied %v, want only the %d published after it: %v", cut.Format(time.RFC3339Nano), got, len(newer), newer)
	}
	if p.First != 21 || p.Tail != 50 {
		t.Errorf("Sync read sequences %d to tail %d, want 21 to 50", p.First, p.Tail)
	}

	// From a time after every event, or an offset past the tail: nothing
	// to read, and the sync returns at once.
	later := b.service(t, tt.BillingContract, memory.New(), opts)
	tt.Register(t, later, runtime.On(func(context.Context, tt.UserRegistered, runtime.Meta) error {
		return errors.New("nothing should be read")
	}))
	for _, from := range []runtime.SyncFrom{runtime.SyncFromTime(time.Now().Add(time.Minute)), runtime.SyncFromOffset(51)} {
		if p, err := later.Sync(syncCtx(t), "users", from, runtime.SyncOptions{Restart: true}); err != nil || p.Applied != 0 || !p.Done {
			t.Errorf("Sync from %s: %+v, %v; want done, nothing applied", from, p, err)
		}
	}
}

// A sync interrupted half-way resumes, when called again, after the last
// event it applied: it reads only the rest, and every event is applied
// once in all.
func TestSyncResumesFromCheckpoint(t *testing.T) {
	const events, stopAt = 200, 80
	b := newBroker(t)
	users := b.service(t, tt.UsersContract, memory.New(), opts)
	all := idsFrom("e", 0, events)
	publishIDs(t, users, all)

	var billing tt.Applied
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := memory.New()
	svc := b.service(t, tt.BillingContract, st, opts)
	tt.Register(t, svc, runtime.On(func(_ context.Context, _ tt.UserRegistered, m runtime.Meta) error {
		billing.Add(m.ID)
		if n, _ := billing.Counts(); n == stopAt {
			cancel() // the event in flight still commits, as in a shutdown
		}
		return nil
	}))
	if _, err := svc.Sync(ctx, "users", runtime.SyncFromStart(), runtime.SyncOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("first Sync: %v, want it interrupted", err)
	}
	pos, ok, err := st.(store.LogPositions).LogPosition(context.Background(), "billing", jetstream.StreamName(b.namespace+".users"))
	if err != nil || !ok || pos != stopAt {
		t.Fatalf("stored position %d, %v, %v; want %d, the sequence of the last event applied", pos, ok, err, stopAt)
	}

	p, err := svc.Sync(syncCtx(t), "users", runtime.SyncFromStart(), runtime.SyncOptions{})
	if err != nil {
		t.Fatalf("second Sync: %v", err)
	}
	if p.First != pos+1 || p.Read != int64(events)-pos || p.Duplicates != 0 {
		t.Errorf("second Sync read %d from sequence %d with %d duplicates; want %d from %d, none", p.Read, p.First, p.Duplicates, int64(events)-pos, pos+1)
	}
	if got := billing.Snapshot(); !slices.Equal(got, all) {
		t.Errorf("billing applied %d events, want each of %d once, in order", len(got), events)
	}
}

// The generated SyncFrom<Producer> works over JetStream.
func TestGeneratedSyncFrom(t *testing.T) {
	b := newBroker(t)
	producer := b.service(t, producerevents.Contract, memory.New(), opts)
	pub := producerevents.NewPublisher(producer)
	for i := range 10 {
		if err := pub.PublishPing(context.Background(), producerevents.Ping{Seq: int64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	consumer := b.service(t, consumerevents.Contract, memory.New(), opts)
	var seen pings
	if err := consumerevents.RegisterHandlers(consumer, &seen); err != nil {
		t.Fatal(err)
	}
	p, err := consumerevents.SyncFromProducer(syncCtx(t), consumer, runtime.SyncFromStart(), runtime.SyncOptions{})
	if err != nil {
		t.Fatalf("SyncFromProducer: %v", err)
	}
	if got := seen.get(); !slices.Equal(got, []int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) || p.Applied != 10 {
		t.Errorf("SyncFromProducer applied %d, handled %v; want pings 0 to 9", p.Applied, got)
	}
}

// pings records the Seq of every Ping handled.
type pings struct {
	mu  sync.Mutex
	seq []int64
}

func (p *pings) HandlePing(_ context.Context, e consumerevents.Ping, _ runtime.Meta) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seq = append(p.seq, e.Seq)
	return nil
}

func (p *pings) get() []int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.seq)
}

// A sync from a producer that never ran, and that nothing created a
// stream for, fails with ErrNoEventLog and says how to get one.
func TestSyncWithoutStream(t *testing.T) {
	b := newBroker(t)
	var billing tt.Applied
	svc := b.service(t, tt.BillingContract, memory.New(), opts)
	tt.Register(t, svc, billing.RegisteredHandler())
	_, err := svc.Sync(syncCtx(t), "users", runtime.SyncFromStart(), runtime.SyncOptions{})
	if !errors.Is(err, service.ErrNoEventLog) {
		t.Fatalf("Sync: %v, want ErrNoEventLog", err)
	}
}

// An event billing cannot decode, read by a sync, goes to billing's
// dead-letter subject with the reason, and the sync goes on past it.
func TestSyncDeadLettersPoison(t *testing.T) {
	b := newBroker(t)
	users := b.service(t, tt.UsersContract, memory.New(), opts)
	tt.Publish(t, users, tt.UserRegistered{UserID: "before"}, runtime.WithID("before"))
	poison := tt.Encode(t, tt.UserRegistered{UserID: "x"}, runtime.WithID("poison"))
	poison.Payload = []byte(`{"user_id": 42}`)
	msg, err := jetstream.Marshaler{}.Marshal(b.namespace+".users", poison)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.js.PublishMsg(msg); err != nil {
		t.Fatal(err)
	}
	tt.Publish(t, users, tt.UserRegistered{UserID: "after"}, runtime.WithID("after"))

	var billing tt.Applied
	svc := b.service(t, tt.BillingContract, memory.New(), opts)
	tt.Register(t, svc, billing.RegisteredHandler())
	p, err := svc.Sync(syncCtx(t), "users", runtime.SyncFromStart(), runtime.SyncOptions{})
	if err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if got := billing.Snapshot(); !slices.Equal(got, []string{"before", "after"}) || p.DeadLettered != 1 {
		t.Errorf("Sync applied %v and dead-lettered %d, want [before after] and 1", got, p.DeadLettered)
	}
	dead, err := b.js.SubscribeSync(b.namespace+".billing.dlq", nats.DeliverAll())
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Unsubscribe()
	m, err := dead.NextMsg(10 * time.Second)
	if err != nil {
		t.Fatalf("no dead letter on %s.billing.dlq: %v", b.namespace, err)
	}
	got, _ := jetstream.Marshaler{}.Unmarshal(m)
	if got.UUID != "poison" || got.Metadata.Get(service.HeaderDLQError) == "" {
		t.Errorf("dead letter %s with reason %q, want poison with a reason", got.UUID, got.Metadata.Get(service.HeaderDLQError))
	}
}

// Resync requests need a queue of the producer's that JetStream has no
// counterpart for: RequestResync says so.
func TestRequestResyncRefused(t *testing.T) {
	b := newBroker(t)
	svc := b.service(t, tt.BillingContract, memory.New(), opts)
	if err := svc.RequestResync(syncCtx(t), "users"); !errors.Is(err, service.ErrNoResync) {
		t.Fatalf("RequestResync: %v, want ErrNoResync", err)
	}
}

// A sync whose tail event was deleted from the stream (as MaxAge does)
// still ends, once the server has nothing more for it.
func TestSyncEndsWhenTailDeleted(t *testing.T) {
	b := newBroker(t)
	users := b.service(t, tt.UsersContract, memory.New(), opts)
	ids := idsFrom("e", 0, 10)
	publishIDs(t, users, ids)
	stream := jetstream.StreamName(b.namespace + ".users")
	for _, seq := range []uint64{9, 10} {
		if err := b.js.DeleteMsg(stream, seq); err != nil {
			t.Fatal(err)
		}
	}
	var billing tt.Applied
	svc := b.service(t, tt.BillingContract, memory.New(), opts)
	tt.Register(t, svc, billing.RegisteredHandler())
	p, err := svc.Sync(syncCtx(t), "users", runtime.SyncFromStart(), runtime.SyncOptions{})
	if err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if got := billing.Snapshot(); !slices.Equal(got, ids[:8]) || !p.Done {
		t.Errorf("Sync applied %v (done %v), want the 8 events left, done", got, p.Done)
	}
}
