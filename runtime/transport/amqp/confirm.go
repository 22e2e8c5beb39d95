package amqp

import (
	"context"
	"errors"
	"fmt"
	"sync"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/evgenhq/evgen/runtime/transport"
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
// publish, woken by the confirm, finds the return by draining that channel
// (under mu) into returned.
//
// A return carries the event's properties, not the publish's delivery tag,
// so it is matched by message ID, and a channel has at most one publish of
// an ID in flight (a second one waits): the return of an ID is then that
// publish's own. A publish whose caller gave up (its deadline passed) goes
// on in the background until its confirm arrives or the channel closes, and
// keeps its slot and its ID until then, so its return is taken by itself and
// never by a retry of the same ID. The buffer never fills: each in-flight
// publish causes at most one return and holds one of maxInFlight slots until
// it drained, so the reader never blocks on it (a blocked reader would drop
// the return after amqp091's notify timeout, and an unroutable event would
// read as confirmed).
type confirmChannel struct {
	ch    *amqp.Channel
	slots chan struct{} // one per publish in flight

	mu       sync.Mutex
	inFlight map[string]chan struct{} // message ID -> closed when its publish ends
	returns  chan amqp.Return
	returned map[string]bool // message IDs returned, not yet taken by their publish
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
		inFlight: map[string]chan struct{}{},
		returned: map[string]bool{},
	}
	c.returns = ch.NotifyReturn(make(chan amqp.Return, maxInFlight))
	return c, nil
}

func (c *confirmChannel) closed() bool { return c.ch.IsClosed() }

// publish sends o and waits for its confirm: nil, transport.ErrUnroutable, or an
// error when the broker nacked, the channel closed or ctx ended.
//
// The write and the wait run on a goroutine of their own, because amqp091
// ignores the context once a write has started and a broker that blocks
// publishers (a memory or disk alarm) stops reading the socket: the write
// then waits until the broker reads again or the connection closes. The
// caller returns at its deadline; what it leaves behind is that goroutine,
// holding its slot and its ID (see confirmChannel). The event may still be
// routed and confirmed later: the caller got an error, so it counts as not
// published and is retried with the same ID, and consumers' inboxes drop
// the extra copy. Abandoned publishes are bounded by maxInFlight per
// channel; past that, publishes wait for a slot until their deadline.
func (c *confirmChannel) publish(ctx context.Context, o outgoing) error {
	id := o.pub.MessageId
	if err := c.take(ctx, id); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		// take may win its race with an ended ctx: send nothing then.
		c.release(id)
		return fmt.Errorf("publish %s: %w", id, err)
	}
	result := make(chan error, 1)
	go func() {
		defer c.release(id)
		result <- c.publishAndConfirm(o)
	}()
	select {
	case err := <-result:
		return err
	case <-ctx.Done():
		return fmt.Errorf("wait for confirm of %s: %w", id, ctx.Err())
	}
}

// take waits for a slot and for id to have no publish in flight on c.
func (c *confirmChannel) take(ctx context.Context, id string) error {
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("wait for a publish slot: %w", ctx.Err())
	}
	for {
		c.mu.Lock()
		busy, ok := c.inFlight[id]
		if !ok {
			c.inFlight[id] = make(chan struct{})
			c.mu.Unlock()
			return nil
		}
		c.mu.Unlock()
		select {
		case <-busy:
		case <-ctx.Done():
			<-c.slots
			return fmt.Errorf("wait for the publish of %s in flight on the channel: %w", id, ctx.Err())
		}
	}
}

// release frees id and the slot taken for it.
func (c *confirmChannel) release(id string) {
	c.mu.Lock()
	close(c.inFlight[id])
	delete(c.inFlight, id)
	c.mu.Unlock()
	<-c.slots
}

// publishAndConfirm writes o and waits for its confirm, however long: the
// confirm comes, or the channel closes and amqp091 nacks every publish
// waiting on it.
func (c *confirmChannel) publishAndConfirm(o outgoing) error {
	dc, err := c.write(o)
	if err != nil {
		return err
	}
	return c.awaitConfirm(dc, o.pub.MessageId)
}

// write sends o, mandatory, without waiting for its confirm.
func (c *confirmChannel) write(o outgoing) (*amqp.DeferredConfirmation, error) {
	dc, err := c.ch.PublishWithDeferredConfirm(o.exchange, o.key, true, false, o.pub)
	if err != nil {
		return nil, fmt.Errorf("publish to %q with %q: %w", o.exchange, o.key, err)
	}
	return dc, nil
}

// awaitConfirm waits for dc, the confirm of the publish of id: nil,
// transport.ErrUnroutable, or errNotConfirmed.
func (c *confirmChannel) awaitConfirm(dc *amqp.DeferredConfirmation, id string) error {
	ack := dc.Wait()
	// Taken whatever the confirm said, so no return outlives its publish.
	returned := c.takeReturn(id)
	switch {
	case !ack:
		c.retire()
		return errNotConfirmed
	case returned:
		return transport.ErrUnroutable
	}
	return nil
}

// retire closes the channel after a nack, so that the publisher's next
// publish repairs it with a fresh one. A nack says a queue could not take
// the event, typically a quorum queue between leaders, and the channel
// that got it may keep its view of the queue from before: on RabbitMQ
// 3.10, a channel opened while a quorum queue's leader was down went on
// being nacked after a new leader was elected (20 s and more, every retry
// on the same channel), while a fresh channel publishes at once. The
// channel's other publishes in flight fail with it and are retried with
// their IDs; consumers' inboxes drop any copy that had arrived. When the
// channel is closed already (amqp091 nacks what was in flight then), this
// does nothing.
func (c *confirmChannel) retire() {
	if !c.ch.IsClosed() {
		c.ch.Close()
	}
}

// takeReturn drains the returns received so far and takes the return of
// id if there is one.
func (c *confirmChannel) takeReturn(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for drained := false; !drained; {
		select {
		case r, ok := <-c.returns:
			if !ok {
				drained = true
				break
			}
			c.returned[r.MessageId] = true
		default:
			drained = true
		}
	}
	if !c.returned[id] {
		return false
	}
	delete(c.returned, id)
	return true
}
