package jetstream

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats.go"
)

// subscriber is the Watermill subscriber of one consumer group: each
// Subscribe binds to the group's durable consumer of the topic's stream
// (created beforehand by prepare) through nats.go.
//
// It replaces watermill-nats' subscriber (v2.1.3) on the consuming side
// because that one drops, without a nak, every event it holds when its
// subscription ends: the one waiting to be handed over or acked when the
// subscribe context ends, and the ones nats.go buffered, which its
// Unsubscribe discards. JetStream counts each as in flight until AckWait
// passed, and with MaxAckPending 1 sends the consumer nothing else
// meanwhile: after every graceful restart under load the service stood
// still for AckWait (30 s by default). This one drains its subscriptions
// instead and nacks what it took but did not hand over, so a stop leaves
// nothing in flight. It also acks without waiting for the server's reply
// (watermill-nats waits, a round trip per event): Close flushes the
// connection, so the acks of a graceful stop reach the server, and an
// ack lost with a connection only brings an event back to the inbox,
// which skips it.
type subscriber struct {
	nc      *nats.Conn
	js      nats.JetStreamContext
	durable string
	// opts give AckWait, how long a handed-over event waits for its ack
	// before the subscriber gives up on it (JetStream redelivers it
	// then), NakDelay, how long JetStream waits before redelivering a
	// nacked one, and the consumer's MaxAckPending.
	opts Options
	log  *slog.Logger

	closing chan struct{}
	once    sync.Once
	subs    sync.WaitGroup // one per Subscribe, done once its output closed
}

// newSubscriber returns a subscriber of group's durable consumers on nc,
// which it closes on Close.
func (o Options) newSubscriber(nc *nats.Conn, group string, log *slog.Logger) (*subscriber, error) {
	js, err := nc.JetStream()
	if err != nil {
		return nil, fmt.Errorf("JetStream: %w", err)
	}
	return &subscriber{
		nc: nc, js: js, durable: durableName(group),
		opts: o, log: log, closing: make(chan struct{}),
	}, nil
}

// Subscribe binds to the group's consumer of topic's stream and returns
// its events, in stream order, one at a time: the next is handed over once
// the previous one was acked or nacked. The channel closes after ctx ended
// or Close was called, once the subscription is drained.
func (s *subscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	sub := &subscription{s: s, ctx: ctx, out: make(chan *message.Message), stopping: make(chan struct{})}
	stream := StreamName(topic)
	// ctx may have no deadline (the engine's subscribe context ends only
	// once Subscribe returned), and nats.go adds its own timeout only to a
	// request without a context: a reply lost to a NATS restart would hold
	// the service, SIGTERM included, for ever.
	lookup, cancel := context.WithTimeout(ctx, drainTimeout)
	defer cancel()
	info, err := s.js.ConsumerInfo(stream, s.durable, nats.Context(lookup))
	if err != nil {
		return nil, fmt.Errorf("look up consumer %s of stream %s: %w", s.durable, stream, err)
	}
	if sub.recovery, err = s.reconcile(lookup, info); err != nil {
		return nil, err
	}
	ns, err := s.js.QueueSubscribe(topic, s.durable, sub.handle, nats.Bind(stream, s.durable), nats.ManualAck())
	if err != nil {
		return nil, fmt.Errorf("bind to consumer %s of stream %s: %w", s.durable, stream, err)
	}
	s.subs.Add(1)
	go func() {
		defer s.subs.Done()
		select {
		case <-ctx.Done():
		case <-s.closing:
		}
		sub.stop(ns)
	}()
	return sub.out, nil
}

// Close ends every subscription (nacking what they hold), waits until the
// server has the acks and nacks, and closes the connection.
func (s *subscriber) Close() error {
	s.once.Do(func() { close(s.closing) })
	s.subs.Wait()
	err := s.nc.FlushTimeout(drainTimeout)
	s.nc.Close()
	if err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		return fmt.Errorf("flush acks to NATS: %w", err)
	}
	return nil
}

// subscription is one Subscribe's binding to a consumer.
//
// The events it nacks come back in stream order, ahead of newer ones, so
// that a restarted replica applies them in publish order even with more
// than one in flight: JetStream redelivers nacked events in the order the
// naks arrived, and a delayed nak only once its delay ran out, so the
// subscription nacks without a delay, in stream order. It waits the nak
// delay itself, before the nak, holding the events after it back; and it
// nacks what it holds when it stops at the end, sorted.
type subscription struct {
	s   *subscriber
	ctx context.Context
	out chan *message.Message
	// recovery, when not nil, gives the consumer its MaxAckPending back
	// once the events held before the start are acked (orphans.go).
	recovery *recovery
	// seen is the highest delivery sequence received (quiesce.go).
	seen delivered

	// stopping closes when the subscription starts to drain: from then
	// on handle keeps what it gets in held, and stop nacks it. mu guards
	// stopped, closed (out is closed, or about to be), held and the
	// handling count, so that stop waits for every handle call that may
	// still send on out or keep an event.
	mu       sync.Mutex
	stopped  bool
	closed   bool
	held     []*nats.Msg
	stopping chan struct{}
	handling sync.WaitGroup
}

// handle is nats.go's callback, called for one event at a time. It hands
// the event over and waits until it is settled, so that the next one is
// handed over only then (the order Watermill's subscribers keep).
func (sub *subscription) handle(m *nats.Msg) {
	stopped, ok := sub.enter()
	if !ok {
		sub.nak(m) // after the drain: nats.go delivers nothing more, but if it did
		return
	}
	defer sub.handling.Done()
	sub.seen.saw(m)
	if stopped {
		sub.hold(m)
		return
	}
	msg, _ := Marshaler{}.Unmarshal(m) // never fails
	ctx, cancel := context.WithCancel(sub.ctx)
	defer cancel() // tells pubsub the ack was passed on (awaitAcksSent)
	msg.SetContext(ctx)
	select {
	case sub.out <- msg:
	case <-sub.stopping:
		sub.hold(m)
		return
	}
	sub.settle(m, msg)
}

// enter counts a handle call in, and reports whether the subscription is
// stopping; false once out is closed.
func (sub *subscription) enter() (stopped, ok bool) {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	if sub.closed {
		return true, false
	}
	sub.handling.Add(1)
	return sub.stopped, true
}

// settle passes msg's ack or nack on to JetStream. An event not settled
// within AckWait is left to JetStream, which redelivers it; one still
// unsettled when the subscription stops is nacked by stop.
func (sub *subscription) settle(m *nats.Msg, msg *message.Message) {
	timeout := time.NewTimer(sub.s.opts.AckWait)
	defer timeout.Stop()
	select {
	case <-msg.Acked():
		if err := m.Ack(); err != nil {
			sub.s.warn("ack", msg.UUID, err) // redelivered after AckWait, skipped by the inbox
			return
		}
		if meta, err := m.Metadata(); err == nil {
			sub.recovery.acked(meta.Sequence.Stream)
		}
	case <-msg.Nacked():
		sub.nakAfterDelay(m)
	case <-sub.stopping:
		sub.hold(m)
	case <-timeout.C:
	}
}

// nakAfterDelay nacks m once the nak delay passed, so that a replica
// that stops is not handed the same event in a tight loop; the events
// after m wait meanwhile. When the subscription stops first, stop nacks m
// with the rest.
func (sub *subscription) nakAfterDelay(m *nats.Msg) {
	delay := time.NewTimer(sub.s.opts.NakDelay)
	defer delay.Stop()
	select {
	case <-delay.C:
		sub.nak(m)
	case <-sub.stopping:
		sub.hold(m)
	}
}

// hold keeps m for stop to nack.
func (sub *subscription) hold(m *nats.Msg) {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	sub.held = append(sub.held, m)
}

// nak asks JetStream to redeliver m at once.
func (sub *subscription) nak(m *nats.Msg) {
	if err := m.Nak(); err != nil {
		sub.s.warn("nak", m.Header.Get(nats.MsgIdHdr), err) // redelivered after AckWait
	}
}

// stop waits until the server sends nothing more (quiesce.go), then
// drains ns: what nats.go still holds goes through handle, which keeps it.
// Once ns is closed and no handle call runs, it nacks what was kept, in
// stream order, and closes out.
func (sub *subscription) stop(ns *nats.Subscription) {
	sub.mu.Lock()
	sub.stopped = true
	close(sub.stopping)
	sub.mu.Unlock()
	sub.quiesce(ns)
	closed := ns.StatusChanged(nats.SubscriptionClosed)
	if err := ns.Drain(); err == nil {
		select {
		case <-closed:
		case <-time.After(drainTimeout):
		}
	}
	sub.mu.Lock()
	sub.closed = true
	sub.mu.Unlock()
	sub.handling.Wait()
	slices.SortFunc(sub.held, func(a, b *nats.Msg) int { return cmp.Compare(streamSeq(a), streamSeq(b)) })
	for _, m := range sub.held {
		sub.nak(m)
	}
	close(sub.out)
}

// streamSeq is m's stream sequence; 0 when it has none.
func streamSeq(m *nats.Msg) uint64 {
	meta, err := m.Metadata()
	if err != nil {
		return 0
	}
	return meta.Sequence.Stream
}

// warn reports an ack or nack that did not reach the server: JetStream
// redelivers the event after AckWait.
func (s *subscriber) warn(what, eventID string, err error) {
	s.log.Warn("could not "+what+" a JetStream event", "event_id", eventID, "consumer", s.durable, "err", err)
}
