package service

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/store"
	"github.com/evgenhq/evgen/runtime/store/memory"
	"github.com/google/uuid"
)

// orderedRun hands batches the test composes straight to a service's
// ordered worker, and records the order of what happened to each event.
type orderedRun struct {
	svc     *Service
	calls   []string // user IDs, one per handler call
	settled []string // "ack u1", "ack u1 duplicate", "dlq u1", "requeue u1"
	commits []string // user ID of the last event of each inbox commit
}

// newOrderedRun builds an ordered service over the memory store whose
// handler runs fn after recording the call. Only one goroutine (the
// worker) touches the records, as in ordered mode.
func newOrderedRun(t *testing.T, fn func(ctx context.Context, e userRegistered, m runtime.Meta) error) *orderedRun {
	t.Helper()
	svc, err := New(Config{
		Contract:  runtime.Contract{Service: "billing", Consumes: []runtime.EventInfo{{Producer: "users", Name: "UserRegistered", Type: "users.UserRegistered", Version: 1}}},
		Transport: InProcess(NewInProcessBus()),
		Store:     memory.New(),
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		Retry:     RetryPolicy{MaxAttempts: 3, Backoff: Backoff{Initial: time.Millisecond, Max: time.Millisecond}},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := &orderedRun{svc: svc}
	err = svc.Register(runtime.On(func(ctx context.Context, e userRegistered, m runtime.Meta) error {
		r.calls = append(r.calls, e.UserID)
		return fn(ctx, e, m)
	}))
	if err != nil {
		t.Fatal(err)
	}
	svc.hooks.beforeCommit = func(_ store.InboxTx, m runtime.Meta) { r.commits = append(r.commits, m.Subject) }
	return r
}

// delivery is the event of user, with the given event ID ("" for a new
// one), settled into r.settled.
func (r *orderedRun) delivery(t *testing.T, user, id string) *delivery {
	t.Helper()
	if id == "" {
		id = uuid.NewString()
	}
	rec := &recordedDelivery{user: user, r: r}
	rec.msg = publishOne(t, context.Background(), userRegistered{UserID: user}, runtime.WithID(id))
	rec.d = newDelivery(rec)
	return rec.d
}

// recordedDelivery settles into r.settled; it has no multiple-ack, so
// ordered mode acks each event alone.
type recordedDelivery struct {
	user string
	r    *orderedRun
	msg  *message.Message
	d    *delivery
}

func (d *recordedDelivery) Message() *message.Message { return d.msg }
func (d *recordedDelivery) Exchange() string          { return "" }
func (d *recordedDelivery) RoutingKey() string        { return "" }
func (d *recordedDelivery) Stale() bool               { return false }

func (d *recordedDelivery) Ack() error {
	entry := "ack " + d.user
	if d.d.duplicate {
		entry += " duplicate"
	}
	d.r.settled = append(d.r.settled, entry)
	return nil
}

func (d *recordedDelivery) Nack(bool) error {
	d.r.settled = append(d.r.settled, "requeue "+d.user)
	return nil
}

func (d *recordedDelivery) DeadLetter(context.Context, map[string]string) error {
	d.r.settled = append(d.r.settled, "dlq "+d.user)
	return nil
}

func (r *orderedRun) batch(t *testing.T, users ...string) []*delivery {
	t.Helper()
	ds := make([]*delivery, len(users))
	for i, u := range users {
		ds[i] = r.delivery(t, u, "")
	}
	return ds
}

func check(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got %q\nwant %q", what, got, want)
	}
}

// A failing event in the middle of a batch: the events before it commit,
// it is retried (u4) or dead-lettered (u7) alone, and only then are the
// events behind it started.
func TestOrderedBatchHandlesAFailureBeforeLaterEvents(t *testing.T) {
	r := newOrderedRun(t, func(_ context.Context, e userRegistered, m runtime.Meta) error {
		switch {
		case e.UserID == "u4" && m.Attempt < 3:
			return errors.New("transient")
		case e.UserID == "u7":
			return runtime.Permanent(errors.New("poison"))
		}
		return nil
	})
	r.svc.handleInOrder(context.Background(), r.batch(t, "u0", "u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9"))

	check(t, "handler calls", r.calls, "u0", "u1", "u2", "u3", "u4", "u4", "u4", "u5", "u6", "u7", "u8", "u9")
	check(t, "settled", r.settled, "ack u0", "ack u1", "ack u2", "ack u3", "ack u4", "ack u5", "ack u6", "dlq u7", "ack u7", "ack u8", "ack u9")
	check(t, "last event of each commit", r.commits, "u3", "u4", "u6", "u9")
}

// An event applied before, and one repeated inside the batch, are skipped
// and acked without running their handler again.
func TestOrderedBatchSkipsDuplicates(t *testing.T) {
	r := newOrderedRun(t, func(context.Context, userRegistered, runtime.Meta) error { return nil })
	old, again := uuid.NewString(), uuid.NewString()
	r.svc.handleInOrder(context.Background(), []*delivery{r.delivery(t, "u1", old)})
	r.calls, r.settled, r.commits = nil, nil, nil

	r.svc.handleInOrder(context.Background(), []*delivery{
		r.delivery(t, "u0", again), r.delivery(t, "u1", old), r.delivery(t, "u0", again), r.delivery(t, "u2", ""),
	})
	check(t, "handler calls", r.calls, "u0", "u2")
	check(t, "settled", r.settled, "ack u0", "ack u1 duplicate", "ack u0 duplicate", "ack u2")
	check(t, "last event of each commit", r.commits, "u2")
}

// Shutdown while a batch is in flight: the events of the batch that were
// being applied commit and are acked, the one whose retry the shutdown cut
// short and those behind it are left unacked (the channel's close puts them
// back in queue order), and a batch taken after shutdown is not started:
// each event applied once or left for redelivery, never both.
func TestOrderedBatchShutdownLosesNothing(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := newOrderedRun(t, func(_ context.Context, e userRegistered, m runtime.Meta) error {
		switch e.UserID {
		case "u1":
			cancel() // SIGTERM arrives while u1's handler runs
		case "u3":
			return errors.New("transient")
		}
		return nil
	})
	batch := r.batch(t, "u0", "u1", "u2", "u3", "u4")
	r.svc.handleInOrder(ctx, batch)
	r.svc.handleInOrder(ctx, r.batch(t, "u5"))

	check(t, "handler calls", r.calls, "u0", "u1", "u2", "u3")
	check(t, "settled", r.settled, "ack u0", "ack u1", "ack u2")
	check(t, "last event of each commit", r.commits, "u2")
	tx, err := r.svc.cfg.Store.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for i, d := range batch {
		claimed, err := tx.Claim(context.Background(), "billing", store.EventRef{Producer: "users", ID: d.msg.UUID})
		if err != nil {
			t.Fatal(err)
		}
		if applied := !claimed; applied != (i < 3) {
			t.Errorf("u%d: applied = %v after shutdown, want %v", i, applied, i < 3)
		}
	}
}
