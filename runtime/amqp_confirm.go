package runtime

import (
	"context"
	"errors"
	"fmt"
	"sync"

	amqp "github.com/rabbitmq/amqp091-go"
)

var errNacked = errors.New("broker nacked the event (internal error); retrying")

// confirmChannel is one channel in confirm mode with its waiters. Every
// publish is mandatory: RabbitMQ returns an event that no queue is bound
// to (basic.return) before it confirms it, and the matcher turns that into
// ErrUnroutable for the waiter.
type confirmChannel struct {
	ch    *amqp.Channel
	pubMu sync.Mutex // serialises sequence number and publish

	mu       sync.Mutex
	pending  map[uint64]*waiter
	returned map[string]int // message IDs returned and not yet confirmed
	err      error          // set when the channel closed
}

// waiter receives the outcome of one publish.
type waiter struct {
	id   string
	done chan error
}

func (w *waiter) wait(ctx context.Context) error {
	select {
	case err := <-w.done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("waiting for confirm of %s: %w", w.id, ctx.Err())
	}
}

func openConfirmChannel(conn *amqp.Connection) (*confirmChannel, error) {
	ch, err := conn.Channel()
	if err != nil {
		return nil, fmt.Errorf("open channel: %w", err)
	}
	if err := ch.Confirm(false); err != nil {
		return nil, fmt.Errorf("enable publisher confirms: %w", err)
	}
	c := &confirmChannel{ch: ch, pending: map[uint64]*waiter{}, returned: map[string]int{}}
	// Returns must arrive unbuffered: the connection's reader goroutine then
	// cannot go on to the confirm of a returned event before the matcher took
	// the return, and the matcher takes one thing at a time, so it records
	// the return before it sees the confirm. Confirms may be buffered.
	returns := ch.NotifyReturn(make(chan amqp.Return))
	confirms := ch.NotifyPublish(make(chan amqp.Confirmation, 256))
	closed := ch.NotifyClose(make(chan *amqp.Error, 1))
	go c.match(confirms, returns, closed)
	return c, nil
}

func (c *confirmChannel) closed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err != nil
}

// publish sends o and returns the waiter for its confirm.
func (c *confirmChannel) publish(ctx context.Context, o outgoing) (*waiter, error) {
	w := &waiter{id: o.pub.MessageId, done: make(chan error, 1)}
	c.pubMu.Lock()
	defer c.pubMu.Unlock()
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return nil, c.err
	}
	seq := c.ch.GetNextPublishSeqNo()
	c.pending[seq] = w
	c.mu.Unlock()
	if err := c.ch.PublishWithContext(ctx, o.exchange, o.key, true, false, o.pub); err != nil {
		c.mu.Lock()
		delete(c.pending, seq)
		c.mu.Unlock()
		return nil, fmt.Errorf("publish to %q with %q: %w", o.exchange, o.key, err)
	}
	return w, nil
}

// match hands confirms and returns to waiters until the channel closes,
// then fails every waiter still pending, so none waits on a dead channel.
func (c *confirmChannel) match(confirms <-chan amqp.Confirmation, returns <-chan amqp.Return, closed <-chan *amqp.Error) {
	for confirms != nil {
		select {
		case r, ok := <-returns:
			if !ok {
				returns = nil
				continue
			}
			c.mu.Lock()
			c.returned[r.MessageId]++
			c.mu.Unlock()
		case cf, ok := <-confirms:
			if !ok {
				confirms = nil
				continue
			}
			c.confirm(cf)
		}
	}
	reason := errors.New("channel closed before the broker confirmed")
	if e, ok := <-closed; ok && e != nil {
		reason = fmt.Errorf("channel closed before the broker confirmed: %w", e)
	}
	c.mu.Lock()
	c.err = reason
	for seq, w := range c.pending {
		w.done <- reason
		delete(c.pending, seq)
	}
	c.mu.Unlock()
}

func (c *confirmChannel) confirm(cf amqp.Confirmation) {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.pending[cf.DeliveryTag]
	if w == nil {
		return
	}
	delete(c.pending, cf.DeliveryTag)
	var err error
	switch {
	case !cf.Ack:
		err = errNacked
	case c.returned[w.id] > 0:
		if c.returned[w.id]--; c.returned[w.id] == 0 {
			delete(c.returned, w.id)
		}
		err = ErrUnroutable
	}
	w.done <- err
}
