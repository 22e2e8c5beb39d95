package pubsub

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/transport"
)

// One delivery's path: Consume subscribes to every consumed topic, forward
// takes each topic's messages in order, acks those of types the service
// does not handle, and hands the rest to the engine as a delivery
// (delivery.go), whose Ack the engine calls once the inbox committed.

// Consume prepares the topics and subscribes (retrying until ctx ends),
// calls ready, and feeds out until ctx ends. It then stops forwarding,
// closes out and calls drain, which returns once the engine settled what
// it holds; only then are the subscriptions ended, so that the acks of
// deliveries in flight still reach the Pub/Sub. What was not acked by
// then is redelivered by the Pub/Sub.
func (b *binding) Consume(ctx context.Context, out chan<- transport.Delivery, drain func(), ready func()) error {
	if len(b.env.consumed) == 0 {
		err := b.prepareRetrying(ctx)
		if err == nil {
			ready()
			<-ctx.Done()
		}
		close(out)
		drain()
		return nil
	}
	// The subscriptions outlive ctx until drain returned.
	subCtx, endSubs := context.WithCancel(context.WithoutCancel(ctx))
	sub, chans, err := b.subscribe(ctx, subCtx)
	if err != nil {
		endSubs()
		close(out)
		drain()
		return err
	}
	ready()
	lost := b.forwardAll(ctx, chans, out)
	close(out)
	drain()
	endSubs()
	closeErr := sub.Close()
	if lost != nil {
		return errors.Join(lost, closeErr)
	}
	if closeErr != nil {
		b.env.log.Warn("close subscriber", "err", closeErr)
	}
	return nil
}

// prepareRetrying calls prepare until it succeeds or ctx ends (nil then:
// the shutdown asked for).
func (b *binding) prepareRetrying(ctx context.Context) error {
	for attempt := 1; ; attempt++ {
		err := b.prepare(ctx)
		if err == nil {
			return nil
		}
		b.env.log.Warn("prepare topics failed, retrying", "attempt", attempt, "err", err)
		if !sleep(ctx, b.env.retryDelay(attempt)) {
			return ctx.Err()
		}
	}
}

// subscribe creates the group's subscriber and subscribes it to every
// consumed topic with subCtx, retrying until ctx ends.
func (b *binding) subscribe(ctx, subCtx context.Context) (message.Subscriber, map[string]<-chan *message.Message, error) {
	if err := b.prepareRetrying(ctx); err != nil {
		return nil, nil, err
	}
	group := Group(b.env.namespace, b.env.service)
	for attempt := 1; ; attempt++ {
		sub, chans, err := b.trySubscribe(subCtx, group)
		if err == nil {
			return sub, chans, nil
		}
		b.env.log.Warn("subscribe failed, retrying", "group", group, "attempt", attempt, "err", err)
		if !sleep(ctx, b.env.retryDelay(attempt)) {
			return nil, nil, ctx.Err()
		}
	}
}

func (b *binding) trySubscribe(subCtx context.Context, group string) (message.Subscriber, map[string]<-chan *message.Message, error) {
	sub, err := b.cfg.Subscriber(group)
	if err != nil {
		return nil, nil, fmt.Errorf("new subscriber for group %s: %w", group, err)
	}
	chans := map[string]<-chan *message.Message{}
	for topic := range b.env.consumed {
		ch, err := sub.Subscribe(subCtx, topic)
		if err != nil {
			return nil, nil, errors.Join(fmt.Errorf("subscribe to %s: %w", topic, err), sub.Close())
		}
		chans[topic] = ch
	}
	return sub, chans, nil
}

// forwardAll forwards every topic's messages to out until ctx ends, and
// returns an error when a subscription ended before (its subscriber gave
// up).
func (b *binding) forwardAll(ctx context.Context, chans map[string]<-chan *message.Message, out chan<- transport.Delivery) error {
	var wg sync.WaitGroup
	lost := make(chan error, len(chans))
	for topic, ch := range chans {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if b.forward(ctx, topic, ch, out) {
				lost <- fmt.Errorf("the subscription to %s ended while the service ran; restart the service", topic)
			}
		}()
	}
	wg.Wait()
	close(lost)
	var errs []error
	for err := range lost {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// forward hands topic's messages to out in order until ctx ends (false) or
// the subscription's channel closes first (true). A message not handed
// over is left unacked: the Pub/Sub redelivers it.
func (b *binding) forward(ctx context.Context, topic string, in <-chan *message.Message, out chan<- transport.Delivery) bool {
	handled := b.env.consumed[topic]
	for {
		select {
		case <-ctx.Done():
			return false
		case msg, ok := <-in:
			if !ok {
				return ctx.Err() == nil
			}
			if skip(msg, handled) {
				msg.Ack()
				continue
			}
			select {
			case out <- &delivery{msg: msg, topic: topic, b: b}:
			case <-ctx.Done():
				return false
			}
		}
	}
}

// skip reports an event of a type and version the service does not
// handle, which RabbitMQ would not have routed to its queue. A message
// without a type is handed over: the engine dead-letters it, so that
// nothing is lost unseen.
func skip(msg *message.Message, handled map[string]bool) bool {
	typ := msg.Metadata.Get(runtime.HeaderType)
	if typ == "" {
		return false
	}
	v, err := strconv.Atoi(msg.Metadata.Get(runtime.HeaderEventVersion))
	if err != nil {
		return false
	}
	return !handled[runtime.RoutingKey(typ, v)]
}

// sleep waits d or until ctx ends; false when ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
