package storetest

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store"
)

// RunSetAside runs the part of the suite about outbox rows that can never
// be sent, and about the one service that owns an outbox.
func RunSetAside(t *testing.T, newStore NewStore) {
	for _, tc := range []struct {
		name string
		test func(*testing.T, store.Store)
	}{
		{"PoisonRowSetAsideRelayGoesOn", testPoisonSetAside},
		{"RetryAndDropSetAside", testRetryDropSetAside},
		{"SecondServiceRefused", testSecondServiceRefused},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.test(t, newStore(t)) })
	}
}

// errPoison stands for an error retrying cannot cure, such as an event
// outside the relaying service's contract.
var errPoison = errors.New("poison: service users does not publish this event")

// poisoner is the broker publisher of a relay: it refuses the events in
// poison with a permanent error, fails each event in flaky once with a
// transient one, passes the rest to a Recorder, and counts what the relay
// reports as set aside.
type poisoner struct {
	*Recorder
	mu       sync.Mutex
	poison   map[string]bool
	flaky    map[string]bool
	reported []string
	reasons  []error
}

func newPoisoner(poison ...string) *poisoner {
	p := &poisoner{Recorder: NewRecorder(), poison: map[string]bool{}, flaky: map[string]bool{}}
	for _, id := range poison {
		p.poison[id] = true
	}
	return p
}

func (p *poisoner) Publish(ctx context.Context, msgs ...*message.Message) error {
	p.mu.Lock()
	for _, m := range msgs {
		if p.poison[m.UUID] {
			p.mu.Unlock()
			return runtime.Permanent(errPoison)
		}
		if p.flaky[m.UUID] {
			delete(p.flaky, m.UUID)
			p.mu.Unlock()
			return errors.New("broker connection lost")
		}
	}
	p.mu.Unlock()
	return p.Recorder.Publish(ctx, msgs...)
}

// OutboxSetAside implements store.SetAsideReporter.
func (p *poisoner) OutboxSetAside(m *message.Message, reason error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reported = append(p.reported, m.UUID)
	p.reasons = append(p.reasons, reason)
	select {
	case p.notify <- struct{}{}:
	default:
	}
}

func (p *poisoner) cure(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.poison, id)
}

func (p *poisoner) reports() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.reported)
}

// waitReported waits until the relay reported n set-aside events.
func (p *poisoner) waitReported(t *testing.T, n int) {
	t.Helper()
	ctx := testContext(t)
	for len(p.reports()) < n {
		select {
		case <-p.notify:
		case <-ctx.Done():
			t.Fatalf("relay reported %v set aside, want %d events", p.reports(), n)
		}
	}
}

func setAsideOf(t *testing.T, s store.Store) store.SetAsideOutbox {
	t.Helper()
	o, ok := s.(store.SetAsideOutbox)
	if !ok {
		t.Fatalf("%T does not implement store.SetAsideOutbox", s)
	}
	return o
}

func listSetAside(t *testing.T, s store.Store) []store.SetAsideRow {
	t.Helper()
	rows, err := setAsideOf(t, s).ListSetAside(testContext(t))
	if err != nil {
		t.Fatalf("list set-aside rows: %v", err)
	}
	return rows
}

func setAsideIDs(t *testing.T, s store.Store) []string {
	t.Helper()
	var ids []string
	for _, r := range listSetAside(t, s) {
		ids = append(ids, r.ID)
	}
	return ids
}

// testPoisonSetAside: events that can never be sent, one alone in its
// transaction and one between two good events of another, are set aside
// with their reason and reported once; every other event is delivered
// once, in commit order, a transient failure still retried.
func testPoisonSetAside(t *testing.T, s store.Store) {
	m := make([]*message.Message, 8)
	for i := range m {
		m[i] = newMessage(i)
	}
	p := newPoisoner(m[1].UUID, m[5].UUID)
	p.flaky[m[3].UUID] = true
	for _, tx := range [][]*message.Message{{m[0]}, {m[1]}, {m[2]}, {m[3]}, {m[4], m[5], m[6]}, {m[7]}} {
		publish(t, s, tx...)
	}
	good := []string{m[0].UUID, m[2].UUID, m[3].UUID, m[4].UUID, m[6].UUID, m[7].UUID}
	stop := relay(t, s, p)
	p.WaitFor(t, good...)
	waitBacklogEmpty(t, s)
	p.waitReported(t, 2)
	stop()

	if got := p.IDs(); !slices.Equal(got, good) {
		t.Errorf("relayed %v, want the good events once each in commit order %v", got, good)
	}
	if got, want := p.reports(), []string{m[1].UUID, m[5].UUID}; !slices.Equal(got, want) {
		t.Errorf("reported set aside %v, want each poison event once: %v", got, want)
	}
	for _, err := range p.reasons {
		if !errors.Is(err, errPoison) {
			t.Errorf("reported set aside for %v, want the poison error", err)
		}
	}
	rows := listSetAside(t, s)
	if len(rows) != 2 {
		t.Fatalf("set aside %d rows, want the 2 poison events: %+v", len(rows), rows)
	}
	for i, want := range []*message.Message{m[1], m[5]} {
		r := rows[i]
		if r.ID != want.UUID || string(r.Payload) != string(want.Payload) || !maps.Equal(r.Metadata, want.Metadata) {
			t.Errorf("set-aside row %d is\n  %s %s %v\nwant\n  %s %s %v", i, r.ID, r.Payload, r.Metadata, want.UUID, want.Payload, want.Metadata)
		}
		if !strings.Contains(r.Reason, errPoison.Error()) || r.At.IsZero() || r.Type() != "users.UserRegistered" {
			t.Errorf("set-aside row %s: reason %q, at %v, type %q", r.ID, r.Reason, r.At, r.Type())
		}
	}
	assertBacklog(t, s, nil)
}

// testRetryDropSetAside: a retried row goes back to be relayed after the
// events committed before the retry; a dropped row is gone; unknown IDs
// fail the whole call and change nothing.
func testRetryDropSetAside(t *testing.T, s store.Store) {
	ctx := testContext(t)
	a, b, c := newMessage(1), newMessage(2), newMessage(3)
	p := newPoisoner(a.UUID, b.UUID)
	publish(t, s, a, b, c)
	stop := relay(t, s, p)
	p.WaitFor(t, c.UUID)
	p.waitReported(t, 2)
	// The relay reports a row as it sets it aside, inside the transaction
	// that moves the offset (PostgreSQL), so the rows are visible once that
	// commits, a moment later.
	testenv.Eventually(t, 10*time.Second, "both set-aside rows visible", func() bool {
		return len(setAsideIDs(t, s)) == 2
	})
	ops := setAsideOf(t, s)

	for _, call := range []func(context.Context, ...string) (int, error){ops.RetrySetAside, ops.DropSetAside} {
		if n, err := call(ctx, a.UUID, "no-such-event"); !errors.Is(err, store.ErrNotSetAside) || n != 0 || !strings.Contains(err.Error(), "no-such-event") {
			t.Errorf("retry/drop of a known and an unknown ID = %d, %v; want 0 and ErrNotSetAside naming the unknown one", n, err)
		}
	}
	if got, want := setAsideIDs(t, s), []string{a.UUID, b.UUID}; !slices.Equal(got, want) {
		t.Fatalf("after failed calls set aside %v, want %v untouched", got, want)
	}

	d := newMessage(4)
	publish(t, s, d) // committed before the retry: sent before the retried event
	p.WaitFor(t, d.UUID)
	p.cure(a.UUID)
	if n, err := ops.RetrySetAside(ctx, a.UUID); n != 1 || err != nil {
		t.Fatalf("retry = %d, %v; want 1, nil", n, err)
	}
	e := newMessage(5)
	publish(t, s, e)
	p.WaitFor(t, a.UUID, e.UUID)
	waitBacklogEmpty(t, s)
	if n, err := ops.DropSetAside(ctx, b.UUID); n != 1 || err != nil {
		t.Fatalf("drop = %d, %v; want 1, nil", n, err)
	}
	stop()

	if got, want := p.IDs(), []string{c.UUID, d.UUID, a.UUID, e.UUID}; !slices.Equal(got, want) {
		t.Errorf("relayed %v, want %v: the retried event after what was committed before the retry", got, want)
	}
	if got := setAsideIDs(t, s); len(got) != 0 {
		t.Errorf("set aside after retry and drop: %v, want none", got)
	}
	if _, err := ops.DropSetAside(ctx, b.UUID); !errors.Is(err, store.ErrNotSetAside) {
		t.Errorf("second drop of %s: %v, want ErrNotSetAside", b.UUID, err)
	}
	assertBacklog(t, s, nil)
}

// testSecondServiceRefused: a second service configured on the outbox a
// first one relays stops at start-up with an error naming both, and the
// owner itself may start again.
func testSecondServiceRefused(t *testing.T, s store.Store) {
	bus := service.NewInProcessBus()
	users := func() *service.Service {
		return newService(t, service.Config{Contract: runtime.Contract{Service: "users", Publishes: []runtime.EventInfo{usersRegistered}},
			Store: s, Transport: service.InProcess(bus), Logger: quiet})
	}
	first := users()
	stop := run(t, testContext(t), first.Run)
	waitReady(t, first)

	billing := newService(t, service.Config{Contract: runtime.Contract{Service: "billing"}, Store: s, Transport: service.InProcess(bus), Logger: quiet})
	err := billing.Run(testContext(t))
	if err == nil || !strings.Contains(err.Error(), `"users"`) || !strings.Contains(err.Error(), `"billing"`) || !strings.Contains(err.Error(), "TablePrefix") {
		t.Errorf("second service on one outbox: Run = %v; want an error naming both services and the way out", err)
	}
	stop()

	again := users()
	stop = run(t, testContext(t), again.Run)
	waitReady(t, again)
	stop()
}

func waitReady(t *testing.T, svc *service.Service) {
	t.Helper()
	select {
	case <-svc.Ready():
	case <-testContext(t).Done():
		t.Fatal("service not ready")
	}
}
