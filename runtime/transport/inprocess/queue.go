package inprocess

import (
	"container/list"
	"context"
	"errors"
	"sync"

	"github.com/ThreeDotsLabs/watermill/message"
)

// consumer identifies one Run of a service on a queue, so that
// what it holds goes back when it stops and no other consumer can ack it.
// It has a field because pointers to zero-size values need not differ.
type consumer struct{ _ byte }

// queue is one service's queue: events in publish order, each
// held by at most one consumer until acked. Written here because gochannel
// has no queue (see the top of this file).
type queue struct {
	mu      sync.Mutex
	entries *list.List      // of *queued, oldest first
	wake    chan struct{}   // closed when an entry becomes free to take
	bound   map[string]bool // routes, guarded by the bus lock
}

// queued is an event in a queue and the consumer holding it, if any.
type queued struct {
	event  routedEvent
	holder *consumer
}

func newQueue() *queue {
	return &queue{entries: list.New(), wake: make(chan struct{}), bound: map[string]bool{}}
}

// push appends e at the back of the queue.
func (q *queue) push(e routedEvent) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.entries.PushBack(&queued{event: e})
	q.signal()
}

// signal wakes takers; the caller holds q.mu.
func (q *queue) signal() {
	close(q.wake)
	q.wake = make(chan struct{})
}

// take waits for the oldest event no consumer holds, and gives it to c;
// false when ctx ended first. Events are taken oldest first, so the held
// ones are mostly at the front and the scan passes little more than the
// ones in flight.
func (q *queue) take(ctx context.Context, c *consumer) (*list.Element, bool) {
	for {
		q.mu.Lock()
		for el := q.entries.Front(); el != nil; el = el.Next() {
			if it := el.Value.(*queued); it.holder == nil {
				it.holder = c
				q.mu.Unlock()
				return el, true
			}
		}
		wake := q.wake
		q.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, false
		case <-wake:
		}
	}
}

// ack removes el, which c must hold.
func (q *queue) ack(el *list.Element, c *consumer) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if el.Value.(*queued).holder != c {
		return errors.New("in-process ack: the event is no longer held by this consumer")
	}
	q.entries.Remove(el)
	return nil
}

// nack frees el in its place, so it is taken again before anything newer,
// or drops it when requeue is false.
func (q *queue) nack(el *list.Element, c *consumer, requeue bool) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	it := el.Value.(*queued)
	if it.holder != c {
		return errors.New("in-process nack: the event is no longer held by this consumer")
	}
	if !requeue {
		q.entries.Remove(el)
		return nil
	}
	it.holder = nil
	q.signal()
	return nil
}

// release frees, in place, every event c still holds.
func (q *queue) release(c *consumer) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for el := q.entries.Front(); el != nil; el = el.Next() {
		if it := el.Value.(*queued); it.holder == c {
			it.holder = nil
		}
	}
	q.signal()
}

// snapshot copies the queue's events, oldest first.
func (q *queue) snapshot() []*message.Message {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]*message.Message, 0, q.entries.Len())
	for el := q.entries.Front(); el != nil; el = el.Next() {
		out = append(out, el.Value.(*queued).event.msg.Copy())
	}
	return out
}
