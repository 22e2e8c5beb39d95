package amqp

import (
	"context"
	"fmt"

	"github.com/ThreeDotsLabs/watermill/message"
	amqp "github.com/rabbitmq/amqp091-go"
)

// PublishEach sends msgs, a relay's batch, on one channel in their order
// and waits for all their confirms at once; errs[i] is msgs[i]'s outcome.
// One channel, because RabbitMQ keeps the order of one channel's publishes
// into a queue, and the outbox relay sends in commit order; send, which
// spreads the events of one call over the channels, does not. It tries
// once: the relay retries what failed.
func (b *binding) PublishEach(ctx context.Context, msgs []*message.Message) []error {
	errs := make([]error, len(msgs))
	var out []outgoing
	var at []int // at[j] is the index in msgs of out[j]
	for i, msg := range msgs {
		o, err := b.outgoing(msg)
		if errs[i] = err; err == nil {
			out, at = append(out, o), append(at, i)
		}
	}
	if len(out) == 0 {
		return errs
	}
	var sent []error
	if pc, err := b.pub.conn(ctx); err != nil {
		sent = repeatErr(err, len(out))
	} else {
		sent = pc.sendInOrder(ctx, out)
	}
	for j, err := range sent {
		errs[at[j]] = err
	}
	return errs
}

func repeatErr(err error, n int) []error {
	errs := make([]error, n)
	for i := range errs {
		errs[i] = err
	}
	return errs
}

// sendInOrder publishes out on one channel, in order, as pubConn.send
// publishes one event: not while the broker blocks the connection, and
// only to declared exchanges.
func (pc *pubConn) sendInOrder(ctx context.Context, out []outgoing) []error {
	if err := pc.block.wait(ctx); err != nil {
		return repeatErr(err, len(out))
	}
	for i, o := range out {
		if err := pc.ensureExchange(ctx, o.exchange); err != nil {
			return repeatErr(pc.block.explain(ctx, err), len(out))
		}
		out[i].pub.UserId = pc.user // as send does: the broker checks it
	}
	ch := pc.chans[pc.next.Add(1)%uint64(len(pc.chans))].Load()
	errs := make([]error, 0, len(out))
	for start := 0; start < len(out); {
		end := chunkEnd(out, start)
		errs = append(errs, ch.publishInOrder(ctx, out[start:end])...)
		start = end
	}
	for i := range errs {
		errs[i] = pc.block.explain(ctx, errs[i])
	}
	return errs
}

// chunkEnd ends the chunk of out that starts at start before an event ID
// repeats in it and at maxInFlight/2 events: publishInOrder takes a slot
// and the ID of every event of a chunk before it writes the first, and a
// second take of one ID, or more takes than there are slots, would wait
// for itself.
func chunkEnd(out []outgoing, start int) int {
	seen := make(map[string]bool)
	for i := start; i < len(out); i++ {
		id := out[i].pub.MessageId
		if seen[id] || i-start == maxInFlight/2 {
			return i
		}
		seen[id] = true
	}
	return len(out)
}

// publishInOrder writes out in order and waits for all their confirms;
// errs[i] is out[i]'s outcome, as publish returns it for one event. The
// writes and waits run on a goroutine of their own, for the reason given
// at publish, and hold their slots and IDs until their confirms arrive.
func (c *confirmChannel) publishInOrder(ctx context.Context, out []outgoing) []error {
	errs := make([]error, len(out))
	n := 0
	for ; n < len(out); n++ {
		if err := c.take(ctx, out[n].pub.MessageId); err != nil {
			break
		}
	}
	if err := ctx.Err(); err != nil {
		// take may win its race with an ended ctx: send nothing then.
		for i := range n {
			c.release(out[i].pub.MessageId)
		}
		return repeatErr(fmt.Errorf("publish %d events: %w", len(out), err), len(out))
	}
	result := make(chan []error, 1)
	go func() { result <- c.writeAndConfirm(out[:n]) }()
	select {
	case res := <-result:
		copy(errs, res)
	case <-ctx.Done():
		copy(errs, repeatErr(fmt.Errorf("wait for the confirms of %d events: %w", n, ctx.Err()), n))
	}
	return errs
}

// writeAndConfirm writes out, then waits for each confirm and releases
// each event's slot and ID once its confirm arrived.
func (c *confirmChannel) writeAndConfirm(out []outgoing) []error {
	errs := make([]error, len(out))
	dcs := make([]*amqp.DeferredConfirmation, len(out))
	for i, o := range out {
		dcs[i], errs[i] = c.write(o)
	}
	for i, o := range out {
		if dcs[i] != nil {
			errs[i] = c.awaitConfirm(dcs[i], o.pub.MessageId)
		}
		c.release(o.pub.MessageId)
	}
	return errs
}
