package service_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store"
	"github.com/evgenhq/evgen/runtime/store/memory"
	"github.com/evgenhq/evgen/runtime/transport"
)

// Sync reads any transport.EventLog, not only the AMQP one: a transport
// outside the engine with its log in memory, its positions ten apart (a
// position grows in log order, not by one), gets every event applied in
// order, the end's position stored, and the next Sync resumes after it.
func TestSyncReadsAnEventLogOutsideTheEngine(t *testing.T) {
	log := &memLog{}
	for i := range 5 {
		log.events = append(log.events, encode(t, userRegistered{UserID: fmt.Sprintf("u%d", i)}))
	}
	st := memory.New()
	billing, _ := newService(t, service.Config{Contract: billingContract, Transport: log, Store: st})
	rec := &recorder{}
	if err := billing.Register(rec.Handler()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	p, err := billing.Sync(ctx, "users", runtime.SyncFromStart(), runtime.SyncOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := rec.Snapshot(); !p.Done || p.Applied != 5 || fmt.Sprint(got) != "[u0 u1 u2 u3 u4]" {
		t.Fatalf("progress %+v, applied %v; want done, u0..u4 in order", p, got)
	}
	if p.Tail != 40 || p.Offset != 40 {
		t.Errorf("tail %d, last offset %d; want both 40, the last entry's position", p.Tail, p.Offset)
	}
	if off, found, err := st.(store.LogPositions).LogPosition(ctx, "billing", "mem.users"); err != nil || !found || off != 40 {
		t.Errorf("stored position %d (found %v, %v), want 40 under the log's name", off, found, err)
	}

	log.events = append(log.events, encode(t, userRegistered{UserID: "u5"}))
	if _, err := billing.Sync(ctx, "users", runtime.SyncFromStart(), runtime.SyncOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := rec.Snapshot(); fmt.Sprint(got) != "[u0 u1 u2 u3 u4 u5]" {
		t.Errorf("after the second sync applied %v, want u5 added once", got)
	}
	if from := log.opened[1]; from.String() != "41" {
		t.Errorf("second sync opened the log at %s, want 41: after the stored position", from)
	}
}

// A transport that keeps no log makes Sync fail with ErrNoEventLog, and
// one that cannot send to one queue makes RequestResync fail with
// ErrNoResync, rather than a panic on a type assertion.
func TestSyncAndResyncNeedTheirCapabilities(t *testing.T) {
	svc, _ := newService(t, service.Config{Contract: billingContract, Transport: service.InProcess(service.NewInProcessBus()), Store: memory.New()})
	if err := svc.Register((&recorder{}).Handler()); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := svc.Sync(ctx, "users", runtime.SyncFromStart(), runtime.SyncOptions{}); !errors.Is(err, service.ErrNoEventLog) {
		t.Errorf("Sync on the in-process transport: %v, want ErrNoEventLog", err)
	}
	if err := svc.RequestResync(ctx, "users"); !errors.Is(err, service.ErrNoResync) {
		t.Errorf("RequestResync on the in-process transport: %v, want ErrNoResync", err)
	}
}

// memLog is a transport whose binding consumes nothing and keeps users'
// events in a log in memory, at positions 0, 10, 20...
type memLog struct {
	events []*message.Message
	opened []runtime.SyncFrom
}

func (l *memLog) Bind(transport.Env) (transport.Binding, error) { return l, nil }

func (l *memLog) Publish(context.Context, []*message.Message) error { return nil }

func (l *memLog) Consume(ctx context.Context, out chan<- transport.Delivery, drain func(), ready func()) error {
	ready()
	<-ctx.Done()
	close(out)
	drain()
	return nil
}

func (l *memLog) Close() error { return nil }

func (l *memLog) LogName(producer string) string { return "mem." + producer }

func (l *memLog) OpenLog(_ context.Context, _ string, from runtime.SyncFrom, _ int) (transport.LogReader, error) {
	l.opened = append(l.opened, from)
	off, _ := from.Offset()
	r := &memReader{events: l.events, tail: int64(10 * (len(l.events) - 1))}
	for r.next < len(r.events) && int64(10*r.next) < off {
		r.next++
	}
	return r, nil
}

// memReader reads a memLog to the tail it had when opened.
type memReader struct {
	events []*message.Message
	next   int
	tail   int64
}

func (r *memReader) Tail() (int64, bool) { return r.tail, true }

func (r *memReader) Next(context.Context) (transport.LogEntry, error) {
	if r.next >= len(r.events) {
		return transport.LogEntry{Position: r.tail, End: true}, nil
	}
	i := r.next
	r.next++
	return transport.LogEntry{
		Position: int64(10 * i),
		Delivery: memEntry{msg: r.events[i].Copy()},
		End:      r.next == len(r.events),
	}, nil
}

func (r *memReader) Close() error { return nil }

// memEntry is one event of a memLog.
type memEntry struct{ msg *message.Message }

func (e memEntry) Message() *message.Message { return e.msg }
func (e memEntry) Exchange() string          { return "evgen.users" }
func (e memEntry) RoutingKey() string        { return "users.UserRegistered.v1" }
func (e memEntry) Ack() error                { return nil }
func (e memEntry) Nack(bool) error           { return errors.New("a log entry cannot be put back") }
func (e memEntry) Stale() bool               { return false }
func (e memEntry) DeadLetter(context.Context, map[string]string) error {
	return errors.New("memLog keeps no dead letters")
}
