package service_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store/memory"
)

// A handler that never returns must not hold Run past ShutdownTimeout:
// Run returns an error naming the event, its delivery is left unacked, and
// a second instance gets it redelivered and applies it (the stuck
// attempt's inbox transaction was rolled back, so its claim does not block
// the second one).
func TestShutdownTimeoutLeavesStuckDeliveryForRedelivery(t *testing.T) {
	const shutdownTimeout = 500 * time.Millisecond
	b := newBroker(t)
	store, effects := pgStore(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) }) // lets the stuck handler's goroutine end with the test

	var enter sync.Once
	entered := make(chan runtime.Meta, 1)
	stuck, _ := b.Service(t, billingContract, store, func(c *service.Config) { c.ShutdownTimeout = shutdownTimeout })
	err := stuck.Register(runtime.On(func(_ context.Context, _ userRegistered, m runtime.Meta) error {
		enter.Do(func() { entered <- m })
		<-release // ignores its context, as a handler blocked in a call without one would
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- stuck.Run(ctx) }()
	ready(t, stuck)

	users, _ := b.Service(t, usersContract, memory.New())
	const id = "0190c2a4-5b7e-7000-8000-00000000ab01"
	if err := runtime.Publish(context.Background(), users, userRegistered{UserID: "u-stuck"}, runtime.WithID(id)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the handler was not called within 10s")
	}

	cancel()
	began := time.Now()
	select {
	case err = <-done:
	case <-time.After(shutdownTimeout + 3*time.Second):
		t.Fatalf("Run did not return within %v of cancel (ShutdownTimeout %v)", shutdownTimeout+3*time.Second, shutdownTimeout)
	}
	t.Logf("Run returned %v after cancel: %v", time.Since(began).Round(time.Millisecond), err)
	if err == nil {
		t.Fatal("Run returned nil although a handler did not finish")
	}
	for _, want := range []string{"users.UserRegistered", id, "did not finish"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Run's error does not say %q: %v", want, err)
		}
	}

	second, _ := b.Service(t, billingContract, store)
	got := make(chan runtime.Meta, 1)
	apply := recordEffect(effects)
	err = second.Register(runtime.On(func(ctx context.Context, e userRegistered, m runtime.Meta) error {
		if err := apply(ctx, e, m); err != nil {
			return err
		}
		got <- m
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	r := start(t, second)
	select {
	case m := <-got:
		if m.ID != id {
			t.Fatalf("second instance handled event %s, want %s", m.ID, id)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the event left unacked was not redelivered to a second instance within 15s")
	}
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	q, err := b.Channel(t).QueueDeclarePassive(service.QueueName(b.NS, "billing"), true, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if q.Messages != 0 {
		t.Errorf("%d events left in the queue after the second instance stopped, want 0", q.Messages)
	}
	if n := effectCount(t, store.DB(), effects, `WHERE event_id = $1`, id); n != 1 {
		t.Errorf("event applied %d times, want once", n)
	}
}
