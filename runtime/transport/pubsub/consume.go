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
	lasts, lost := b.forwardAll(ctx, chans, out)
	close(out)
	drain()
	awaitAcksSent(lasts)
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

// forwardAll forwards every topic's messages to out until ctx ends. It
// returns the last message handed over of each topic, and an error when a
// subscription ended before (its subscriber gave up).
func (b *binding) forwardAll(ctx context.Context, chans map[string]<-chan *message.Message, out chan<- transport.Delivery) ([]*message.Message, error) {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		errs  []error
		lasts []*message.Message
	)
	for topic, ch := range chans {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ended, last := b.forward(ctx, topic, ch, out)
			mu.Lock()
			defer mu.Unlock()
			if ended {
				errs = append(errs, fmt.Errorf("the subscription to %s ended while the service ran; restart the service", topic))
			}
			if last != nil {
				lasts = append(lasts, last)
			}
		}()
	}
	wg.Wait()
	return lasts, errors.Join(errs...)
}

// forward hands topic's messages to out in order until ctx ends (ended
// false) or the subscription's channel closes first (true), and returns
// the last message it handed over. From then on, what the subscriber still
// hands over is nacked (nackRest), not left to its ack deadline.
func (b *binding) forward(ctx context.Context, topic string, in <-chan *message.Message, out chan<- transport.Delivery) (ended bool, last *message.Message) {
	handled := b.env.consumed[topic]
	for {
		select {
		case <-ctx.Done():
			go nackRest(in)
			return false, last
		case msg, ok := <-in:
			if !ok {
				return ctx.Err() == nil, last
			}
			if skip(msg, handled) {
				msg.Ack()
				continue
			}
			select {
			case out <- &delivery{msg: msg, topic: topic, b: b}:
				last = msg
			case <-ctx.Done():
				msg.Nack()
				go nackRest(in)
				return false, last
			}
		}
	}
}

// nackRest nacks what a subscription hands over after the service stopped
// taking deliveries, until the subscription ends: a message left alone
// would come back only after the Pub/Sub's ack deadline (JetStream's ack
// wait, during which it sends the consumer nothing else), a nacked one at
// once or after the subscriber's nack delay.
func nackRest(in <-chan *message.Message) {
	for msg := range in {
		msg.Nack()
	}
}

// ackSendTimeout bounds the wait for a subscriber to pass on the last acks
// once the engine settled its deliveries.
const ackSendTimeout = 5 * time.Second

// awaitAcksSent waits until the subscriber passed on the ack (or nack) of
// each topic's last message: it does so after Ack returned, and ends the
// message's context once it did (watermill-nats and gochannel do). Only
// the last one can still be on its way: a subscriber hands over a topic's
// next message once the previous one is settled. Ending the subscriptions
// at once lost that ack under load ("Cannot send ack ... connection
// closed"), and JetStream then held back the consumer's next events for
// its ack wait after a restart.
func awaitAcksSent(lasts []*message.Message) {
	deadline := time.After(ackSendTimeout)
	for _, m := range lasts {
		done := m.Context().Done()
		if done == nil || !settled(m) {
			continue // no context to watch, or left unacked on purpose
		}
		select {
		case <-done:
		case <-deadline:
			return
		}
	}
}

// settled reports whether m was acked or nacked.
func settled(m *message.Message) bool {
	select {
	case <-m.Acked():
		return true
	case <-m.Nacked():
		return true
	default:
		return false
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
