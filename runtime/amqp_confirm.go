package runtime

import (
	"context"
	"errors"
	"fmt"
	"sync"

	amqp "github.com/rabbitmq/amqp091-go"
)

var errNotConfirmed = errors.New("broker did not confirm the event (nack, or channel closed)")

// maxInFlight bounds the unconfirmed publishes per channel. It gives
// back-pressure and sizes the returns buffer (see confirmChannel).
const maxInFlight = 1024

// confirmChannel is one channel in confirm mode. Each publish waits for
// its own amqp091 DeferredConfirmation, woken straight by the connection's
// reader goroutine, so any number of publishes are in flight at once.
//
// Every publish is mandatory: RabbitMQ returns an event that no queue is
// bound to (basic.return) and then confirms it. The reader hands the return
// to the buffered returns channel before it processes the confirm, so the
// waiter, woken by the confirm, finds the return by draining that channel
// (under mu) into returned. The buffer never fills: each in-flight publish
// causes at most one return, and a publish holds its slot of maxInFlight
// until its waiter drained, so the reader never blocks on it (a blocked
// reader would drop the return after amqp091's notify timeout).
type confirmChannel struct {
	ch    *amqp.Channel
	slots chan struct{} // one per publish in flight

	mu       sync.Mutex
	returns  chan amqp.Return
	returned map[string]int // message IDs returned, not yet matched to a confirm
}

func openConfirmChannel(conn *amqp.Connection) (*confirmChannel, error) {
	ch, err := conn.Channel()
	if err != nil {
		return nil, fmt.Errorf("open channel: %w", err)
	}
	if err := ch.Confirm(false); err != nil {
		// The connection may stay open (a channel being repaired), so the
		// channel must not outlive this failure.
		ch.Close()
		return nil, fmt.Errorf("enable publisher confirms: %w", err)
	}
	c := &confirmChannel{
		ch:       ch,
		slots:    make(chan struct{}, maxInFlight),
		returned: map[string]int{},
	}
	c.returns = ch.NotifyReturn(make(chan amqp.Return, maxInFlight))
	return c, nil
}

func (c *confirmChannel) closed() bool { return c.ch.IsClosed() }

// publish sends o and waits for its confirm: nil, ErrUnroutable, or an
// error when the broker nacked, the channel closed or ctx ended.
func (c *confirmChannel) publish(ctx context.Context, o outgoing) error {
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("wait for a publish slot: %w", ctx.Err())
	}
	defer func() { <-c.slots }()
	dc, err := c.ch.PublishWithDeferredConfirmWithContext(ctx, o.exchange, o.key, true, false, o.pub)
	if err != nil {
		return fmt.Errorf("publish to %q with %q: %w", o.exchange, o.key, err)
	}
	ack, err := dc.WaitContext(ctx)
	if err != nil {
		// The confirm, and a return before it, may still come: the next
		// waiter's drain records it, and nothing ever matches it. Bounded
		// by the IDs of abandoned publishes.
		return fmt.Errorf("wait for confirm of %s: %w", o.pub.MessageId, err)
	}
	if !ack {
		return errNotConfirmed
	}
	if c.wasReturned(o.pub.MessageId) {
		return ErrUnroutable
	}
	return nil
}

// wasReturned drains the returns received so far and consumes one return
// of id if there is one.
func (c *confirmChannel) wasReturned(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for drained := false; !drained; {
		select {
		case r, ok := <-c.returns:
			if !ok {
				drained = true
				break
			}
			c.returned[r.MessageId]++
		default:
			drained = true
		}
	}
	if c.returned[id] == 0 {
		return false
	}
	if c.returned[id]--; c.returned[id] == 0 {
		delete(c.returned, id)
	}
	return true
}
