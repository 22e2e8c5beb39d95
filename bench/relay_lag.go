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

// relayLag measures the outbox relay's lag: from the commit of an event's
// transaction, which the writer reports, to the broker's confirm of its
// publish, which lagPublisher sees. Both are keyed by the event's key (its
// user ID, unique per event in these cases) and matched at the end, since
// a confirm may come before the writer's goroutine got to report its
// commit.
type relayLag struct {
	mu       sync.Mutex
	commits  map[string]time.Time
	confirms map[string]time.Time // the first confirm of each key
}

func newRelayLag() *relayLag {
	return &relayLag{commits: map[string]time.Time{}, confirms: map[string]time.Time{}}
}

func (l *relayLag) committed(key string, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.commits[key] = at
}

func (l *relayLag) confirmed(msgs []*message.Message, errs []error, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, m := range msgs {
		if errs != nil && errs[i] != nil {
			continue
		}
		key := m.Metadata.Get(runtime.HeaderSubject)
		if _, seen := l.confirms[key]; !seen {
			l.confirms[key] = at
		}
	}
}

// unconfirmed counts the committed events whose confirm the relay has not
// seen yet.
func (l *relayLag) unconfirmed() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for key := range l.commits {
		if _, ok := l.confirms[key]; !ok {
			n++
		}
	}
	return n
}

// awaitConfirms waits up to limit until the relay saw the confirm of every
// committed event: the broker counts an event in the queue a moment before
// its confirm is back at the publisher.
func (l *relayLag) awaitConfirms(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		n := l.unconfirmed()
		switch {
		case n == 0:
			return nil
		case time.Now().After(deadline):
			return fmt.Errorf("%d committed events not confirmed to the relay after %s", n, limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// percentiles is p50 and p99 of the lags of the committed events.
func (l *relayLag) percentiles() (p50, p99 time.Duration, err error) {
	l.mu.Lock()
	var rec recorder
	var missing int
	for key, c := range l.commits {
		at, ok := l.confirms[key]
		if !ok {
			missing++
			continue
		}
		rec.add(at.Sub(c))
	}
	l.mu.Unlock()
	if missing > 0 {
		return 0, 0, fmt.Errorf("%d committed events never confirmed to the relay", missing)
	}
	return rec.percentiles()
}

// lagStore hands the relay a lagPublisher in front of the service. It
// hides the store's optional interfaces (set-aside reports, pruning,
// outbox ownership), none of which these cases exercise.
type lagStore struct {
	store.Store
	lag *relayLag
}

func (s lagStore) Relay(ctx context.Context, pub runtime.Publisher) error {
	bp, ok := pub.(batchPublisher)
	if !ok {
		return errors.New("the relay's publisher is not a store.BatchPublisher")
	}
	return s.Store.Relay(ctx, lagPublisher{bp, s.lag})
}

// batchPublisher is the service as its store's relay sees it.
type batchPublisher interface {
	runtime.Publisher
	store.BatchPublisher
}

// lagPublisher records when the broker confirmed each event it forwards.
type lagPublisher struct {
	pub batchPublisher
	lag *relayLag
}

func (p lagPublisher) Publish(ctx context.Context, msgs ...*message.Message) error {
	err := p.pub.Publish(ctx, msgs...)
	if err == nil {
		p.lag.confirmed(msgs, nil, time.Now())
	}
	return err
}

func (p lagPublisher) PublishBatch(ctx context.Context, msgs []*message.Message) []error {
	errs := p.pub.PublishBatch(ctx, msgs)
	p.lag.confirmed(msgs, errs, time.Now())
	return errs
}
