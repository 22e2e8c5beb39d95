package service

import (
	"container/list"
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/evgenhq/evgen/runtime"
)

// The in-process transport is a small in-memory broker of its own rather
// than Watermill's gochannel, because gochannel cannot keep one producer's
// events in order for a consuming service: it hands each message to each
// subscriber in a goroutine of its own, replays persisted messages to a new
// subscriber in a goroutine per message, replays every persisted message
// (acked or not) to every new subscriber, and has one topic per routing
// key, so events of different types come from separate channels. Here, as
// on RabbitMQ, each consuming service has one queue bound to every event it
// consumes; a publish lands in every bound queue in publish order, and the
// queue keeps each event until it is acked.

// InProcessBus is the in-memory broker that services in one process share
// through InProcess. It keeps every event published on it, so that a
// service started later still receives what it consumes (services may
// start in any order), and a queue per consuming service, which outlives
// the service's Run so that a restarted service receives, in order, what
// was published while it was stopped. Nothing survives the process.
type InProcessBus struct {
	mu       sync.Mutex
	events   []routedEvent                // every event, in publish order
	queues   map[string]*inProcessQueue   // by queue name
	bindings map[string][]*inProcessQueue // by route, see inProcessRoute
}

// routedEvent is an event with the exchange and routing key it was
// published to.
type routedEvent struct {
	msg                  *message.Message
	exchange, routingKey string
}

// NewInProcessBus returns an empty bus for InProcess.
func NewInProcessBus() *InProcessBus {
	return &InProcessBus{queues: map[string]*inProcessQueue{}, bindings: map[string][]*inProcessQueue{}}
}

// Published returns a copy of every event published on the bus, in publish
// order: for tests and demos to see what services sent.
func (b *InProcessBus) Published() []*message.Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]*message.Message, len(b.events))
	for i, e := range b.events {
		out[i] = e.msg.Copy()
	}
	return out
}

// Waiting returns a copy of the events in the named queue (a service's
// queue "<namespace>.<service>.queue" or its dead-letter queue
// "<namespace>.<service>.dlq") that were not acked yet, oldest first; nil
// when no service declared that queue.
func (b *InProcessBus) Waiting(queue string) []*message.Message {
	b.mu.Lock()
	q := b.queues[queue]
	b.mu.Unlock()
	if q == nil {
		return nil
	}
	return q.snapshot()
}

func inProcessRoute(exchange, routingKey string) string { return exchange + ":" + routingKey }

// publish records e and puts a copy into every queue bound to its route.
// Holding the bus lock across the queues keeps one publish order for all.
func (b *InProcessBus) publish(e routedEvent) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.events = append(b.events, e)
	for _, q := range b.bindings[inProcessRoute(e.exchange, e.routingKey)] {
		q.push(e)
	}
}

// declare returns the named queue, bound to bindings and no longer bound
// to unbindings. A new queue starts with every event published before
// that it binds, in publish order; an existing one (a restarted service)
// keeps what it holds, gains only bindings it lacked and loses those in
// unbindings, like a RabbitMQ queue declared again.
func (b *InProcessBus) declare(name string, bindings, unbindings []BindingSpec) *inProcessQueue {
	b.mu.Lock()
	defer b.mu.Unlock()
	q, exists := b.queues[name]
	if !exists {
		q = newInProcessQueue()
		b.queues[name] = q
	}
	for _, bd := range unbindings {
		b.unbind(q, inProcessRoute(bd.Exchange, bd.RoutingKey))
	}
	routes := map[string]bool{}
	for _, bd := range bindings {
		route := inProcessRoute(bd.Exchange, bd.RoutingKey)
		routes[route] = true
		if !q.bound[route] {
			q.bound[route] = true
			b.bindings[route] = append(b.bindings[route], q)
		}
	}
	if !exists {
		for _, e := range b.events {
			if routes[inProcessRoute(e.exchange, e.routingKey)] {
				q.push(e)
			}
		}
	}
	return q
}

// unbind stops route's events from reaching q; what q holds stays.
func (b *InProcessBus) unbind(q *inProcessQueue, route string) {
	if !q.bound[route] {
		return
	}
	delete(q.bound, route)
	b.bindings[route] = slices.DeleteFunc(b.bindings[route], func(o *inProcessQueue) bool { return o == q })
}

// InProcess returns a transport over bus, for unit tests and for demos
// without RabbitMQ. It keeps the topology's shape and its order: each
// consuming service has a queue that keeps its copy of every event it
// binds until acked, in publish order; replicas of one service compete for
// that queue; dead letters go to the queue "<namespace>.<service>.dlq".
// It keeps none of the broker's durability: nothing survives the process.
func InProcess(bus *InProcessBus) Transport { return inProcessTransport{bus} }

type inProcessTransport struct{ bus *InProcessBus }

func (t inProcessTransport) bind(env transportEnv) (binding, error) {
	if t.bus == nil {
		return nil, errors.New("InProcess: bus is nil; use service.NewInProcessBus()")
	}
	return &inProcessBinding{bus: t.bus, env: env}, nil
}

type inProcessBinding struct {
	bus *InProcessBus
	env transportEnv
}

func (b *inProcessBinding) publish(_ context.Context, msgs []*message.Message) error {
	for _, msg := range msgs {
		b.bus.publish(routedEvent{
			msg:        msg.Copy(),
			exchange:   b.env.names.exchange(msg.Metadata.Get(runtime.HeaderSource)),
			routingKey: runtime.RoutingKey(msg.Metadata.Get(runtime.HeaderType), atoiOr0(msg.Metadata.Get(runtime.HeaderEventVersion))),
		})
	}
	return nil
}

// consume declares the service's queue and dead-letter queue and hands the
// queue's events to out, in order, until ctx ends. Once drained,
// whatever this consumer still holds goes back to the queue in place, as
// RabbitMQ does with the unacked deliveries of a closed channel.
func (b *inProcessBinding) consume(ctx context.Context, out chan<- *delivery, drain func(), ready func()) error {
	ci := b.env.consumer
	if ci.queue == "" {
		ready()
		<-ctx.Done()
		close(out)
		drain()
		return nil
	}
	q := b.bus.declare(ci.queue, bindingsOf(b.env.plan.Bindings, ci.queue), bindingsOf(b.env.plan.Unbindings, ci.queue))
	dlq := b.bus.declare(ci.deadLetterQueue, nil, nil)
	c := new(inProcessConsumer)
	forwarded := make(chan struct{})
	go func() {
		defer close(forwarded)
		b.forward(ctx, q, dlq, c, out)
	}()
	ready()
	<-ctx.Done()
	<-forwarded
	close(out)
	drain()
	q.release(c)
	return nil
}

// bindingsOf are those of bindings that bind queue.
func bindingsOf(bindings []BindingSpec, queue string) []BindingSpec {
	var own []BindingSpec
	for _, bd := range bindings {
		if bd.Queue == queue {
			own = append(own, bd)
		}
	}
	return own
}

// forward takes q's events for c, in order, and sends them to out until
// ctx ends; an event taken but not sent goes back.
func (b *inProcessBinding) forward(ctx context.Context, q, dlq *inProcessQueue, c *inProcessConsumer, out chan<- *delivery) {
	for {
		el, ok := q.take(ctx, c)
		if !ok {
			return
		}
		select {
		case out <- b.wrap(q, dlq, c, el):
		case <-ctx.Done():
			q.nack(el, c, true)
			return
		}
	}
}

func (b *inProcessBinding) wrap(q, dlq *inProcessQueue, c *inProcessConsumer, el *list.Element) *delivery {
	e := el.Value.(*queued).event
	return newDelivery(&inProcessDelivery{e: e, msg: e.msg.Copy(), q: q, dlq: dlq, c: c, el: el})
}

// inProcessDelivery is one event taken from an in-process queue.
type inProcessDelivery struct {
	e      routedEvent
	msg    *message.Message
	q, dlq *inProcessQueue
	c      *inProcessConsumer
	el     *list.Element
}

func (d *inProcessDelivery) Message() *message.Message { return d.msg }
func (d *inProcessDelivery) Exchange() string          { return d.e.exchange }
func (d *inProcessDelivery) RoutingKey() string        { return d.e.routingKey }
func (d *inProcessDelivery) Ack() error                { return d.q.ack(d.el, d.c) }
func (d *inProcessDelivery) Nack(requeue bool) error   { return d.q.nack(d.el, d.c, requeue) }

// Stale is false: an in-process queue loses no channel.
func (d *inProcessDelivery) Stale() bool { return false }

// DeadLetter pushes a copy with headers added to the dead-letter queue.
func (d *inProcessDelivery) DeadLetter(_ context.Context, headers map[string]string) error {
	dead := d.e.msg.Copy()
	for k, v := range headers {
		dead.Metadata.Set(k, v)
	}
	d.dlq.push(routedEvent{msg: dead, exchange: d.e.exchange, routingKey: d.e.routingKey})
	return nil
}

func (b *inProcessBinding) close() error { return nil }

// inProcessConsumer identifies one Run of a service on a queue, so that
// what it holds goes back when it stops and no other consumer can ack it.
// It has a field because pointers to zero-size values need not differ.
type inProcessConsumer struct{ _ byte }

// inProcessQueue is one service's queue: events in publish order, each
// held by at most one consumer until acked. Written here because gochannel
// has no queue (see the top of this file).
type inProcessQueue struct {
	mu      sync.Mutex
	entries *list.List      // of *queued, oldest first
	wake    chan struct{}   // closed when an entry becomes free to take
	bound   map[string]bool // routes, guarded by the bus lock
}

// queued is an event in a queue and the consumer holding it, if any.
type queued struct {
	event  routedEvent
	holder *inProcessConsumer
}

func newInProcessQueue() *inProcessQueue {
	return &inProcessQueue{entries: list.New(), wake: make(chan struct{}), bound: map[string]bool{}}
}

// push appends e at the back of the queue.
func (q *inProcessQueue) push(e routedEvent) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.entries.PushBack(&queued{event: e})
	q.signal()
}

// signal wakes takers; the caller holds q.mu.
func (q *inProcessQueue) signal() {
	close(q.wake)
	q.wake = make(chan struct{})
}

// take waits for the oldest event no consumer holds, and gives it to c;
// false when ctx ended first. Events are taken oldest first, so the held
// ones are mostly at the front and the scan passes little more than the
// ones in flight.
func (q *inProcessQueue) take(ctx context.Context, c *inProcessConsumer) (*list.Element, bool) {
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
func (q *inProcessQueue) ack(el *list.Element, c *inProcessConsumer) error {
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
func (q *inProcessQueue) nack(el *list.Element, c *inProcessConsumer, requeue bool) error {
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
func (q *inProcessQueue) release(c *inProcessConsumer) {
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
func (q *inProcessQueue) snapshot() []*message.Message {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]*message.Message, 0, q.entries.Len())
	for el := q.entries.Front(); el != nil; el = el.Next() {
		out = append(out, el.Value.(*queued).event.msg.Copy())
	}
	return out
}
