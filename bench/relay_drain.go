package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/store"
)

// relayDrain times the outbox relay alone: -events transactions are
// committed first, each with a row of its own state and one event, with no
// relay running; then the producer service starts over the store, and the
// clock runs from the start of its relay (its publisher's connection
// included) to the broker's confirm of the last event. publish-evgen-outbox
// is bounded by the writers' commits; this case says what the relay
// itself sends per second, as a share of publish-raw.
func relayDrain(kind inboxKind) func(ctx context.Context, e *env) (result, error) {
	return func(ctx context.Context, e *env) (res result, err error) {
		r, err := e.newEvgenRun(ctx, false)
		if err != nil {
			return res, err
		}
		defer func() { err = errors.Join(err, r.remove()) }()
		st, err := e.openConsumerStore(ctx, kind, nil)
		if err != nil {
			return res, err
		}
		defer func() { err = errors.Join(err, st.close()) }()
		n := e.cfg.Events
		_, err = inParallel(ctx, n, e.cfg.Concurrency, func(ctx context.Context, i int) error {
			return writeWithEvent(ctx, st, benchEvent(i, e.cfg.Payload, time.Now()), func(string, time.Time) {})
		})
		if err != nil {
			return res, fmt.Errorf("commit the backlog: %w", err)
		}
		clock := newDrainClock(n)
		_, stop, err := r.publisher(ctx, drainStore{st.store, clock})
		if err != nil {
			return res, err
		}
		defer func() { err = errors.Join(err, stop()) }()
		elapsed, err := clock.await(ctx, time.Minute)
		if err != nil {
			return res, err
		}
		depth, err := e.awaitDepthFor(ctx, r.queue, n, time.Minute)
		if err != nil {
			return res, fmt.Errorf("after the relay: %w", err)
		}
		res = throughput(n, elapsed)
		res.Extra = map[string]int64{"duplicates": int64(depth - n)}
		return res, nil
	}
}

// drainClock runs from the relay's start until it saw n distinct events
// confirmed.
type drainClock struct {
	mu        sync.Mutex
	want      int
	started   time.Time
	confirmed map[string]bool
	last      time.Time
	done      chan struct{}
}

func newDrainClock(n int) *drainClock {
	return &drainClock{want: n, confirmed: make(map[string]bool, n), done: make(chan struct{})}
}

// start is called when the relay starts; a restarted relay keeps the
// first start.
func (c *drainClock) start() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.started.IsZero() {
		c.started = time.Now()
	}
}

// confirm records the events of a batch the broker confirmed.
func (c *drainClock) confirm(msgs []*message.Message, errs []error) {
	at := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, m := range msgs {
		if errs == nil || errs[i] == nil {
			c.confirmed[m.Metadata.Get(runtime.HeaderSubject)] = true
		}
	}
	if len(c.confirmed) >= c.want && c.last.IsZero() {
		c.last = at
		close(c.done)
	}
}

// await returns the time from the relay's start to the last confirm.
func (c *drainClock) await(ctx context.Context, limit time.Duration) (time.Duration, error) {
	select {
	case <-c.done:
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-time.After(limit):
		c.mu.Lock()
		defer c.mu.Unlock()
		return 0, fmt.Errorf("the relay confirmed %d of %d events in %s", len(c.confirmed), c.want, limit)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last.Sub(c.started), nil
}

// drainStore starts the clock when the relay starts and stops it with its
// confirms. Like lagStore, it hides the store's optional interfaces.
type drainStore struct {
	store.Store
	clock *drainClock
}

func (s drainStore) Relay(ctx context.Context, pub runtime.Publisher) error {
	bp, ok := pub.(batchPublisher)
	if !ok {
		return errors.New("the relay's publisher is not a store.BatchPublisher")
	}
	s.clock.start()
	return s.Store.Relay(ctx, drainPublisher{bp, s.clock})
}

// drainPublisher reports the events the broker confirmed to the clock.
type drainPublisher struct {
	pub   batchPublisher
	clock *drainClock
}

func (p drainPublisher) Publish(ctx context.Context, msgs ...*message.Message) error {
	err := p.pub.Publish(ctx, msgs...)
	if err == nil {
		p.clock.confirm(msgs, nil)
	}
	return err
}

func (p drainPublisher) PublishBatch(ctx context.Context, msgs []*message.Message) []error {
	errs := p.pub.PublishBatch(ctx, msgs)
	p.clock.confirm(msgs, errs)
	return errs
}
