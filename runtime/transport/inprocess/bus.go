// Package inprocess is the in-process transport: a small in-memory broker
// that services in one process share, for unit tests and demos without
// RabbitMQ. It keeps the topology's shape and order (a queue per consuming
// service, bound to what it consumes, replicas competing for it) and none
// of a broker's durability.
//
// Applications pass New(NewBus()) (or service.InProcess, which forwards
// to it) as service.Config.Transport; only the engine calls Bind. It
// imports runtime and runtime/transport, never the engine.
package inprocess

import (
	"container/list"
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/transport"
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

// Bus is the in-memory broker that services in one process share through
// New. It keeps every event published on it, so that a
// service started later still receives what it consumes (services may
// start in any order), and a queue per consuming service, which outlives
// the service's Run so that a restarted service receives, in order, what
// was published while it was stopped. Nothing survives the process.
type Bus struct {
	mu       sync.Mutex
	events   []routedEvent       // every event, in publish order
	queues   map[string]*queue   // by queue name
	bindings map[string][]*queue // by route, see route
}

// routedEvent is an event with the exchange and routing key it was
// published to.
type routedEvent struct {
	msg                  *message.Message
	exchange, routingKey string
}

// NewBus returns an empty bus for New.
func NewBus() *Bus {
	return &Bus{queues: map[string]*queue{}, bindings: map[string][]*queue{}}
}

// Published returns a copy of every event published on the bus, in publish
// order: for tests and demos to see what services sent.
func (b *Bus) Published() []*message.Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]*message.Message, len(b.events))
	for i, e := range b.events {
		out[i] = e.msg.Copy()
	}
	return out
}

// Waiting returns a copy of the events in the named queue (a service's
// queue "<namespace>.<service>" or its dead-letter queue
// "<namespace>.<service>.dlq") that were not acked yet, oldest first; nil
// when no service declared that queue.
func (b *Bus) Waiting(queue string) []*message.Message {
	b.mu.Lock()
	q := b.queues[queue]
	b.mu.Unlock()
	if q == nil {
		return nil
	}
	return q.snapshot()
}

func route(exchange, routingKey string) string { return exchange + ":" + routingKey }

// publish records e and puts a copy into every queue bound to its route.
// Holding the bus lock across the queues keeps one publish order for all.
func (b *Bus) publish(e routedEvent) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.events = append(b.events, e)
	for _, q := range b.bindings[route(e.exchange, e.routingKey)] {
		q.push(e)
	}
}

// declare returns the named queue, bound to bindings and no longer bound
// to unbindings. A new queue starts with every event published before
// that it binds, in publish order; an existing one (a restarted service)
// keeps what it holds, gains only bindings it lacked and loses those in
// unbindings, like a RabbitMQ queue declared again.
func (b *Bus) declare(name string, bindings, unbindings []transport.BindingSpec) *queue {
	b.mu.Lock()
	defer b.mu.Unlock()
	q, exists := b.queues[name]
	if !exists {
		q = newQueue()
		b.queues[name] = q
	}
	for _, bd := range unbindings {
		b.unbind(q, route(bd.Exchange, bd.RoutingKey))
	}
	routes := map[string]bool{}
	for _, bd := range bindings {
		route := route(bd.Exchange, bd.RoutingKey)
		routes[route] = true
		if !q.bound[route] {
			q.bound[route] = true
			b.bindings[route] = append(b.bindings[route], q)
		}
	}
	if !exists {
		for _, e := range b.events {
			if routes[route(e.exchange, e.routingKey)] {
				q.push(e)
			}
		}
	}
	return q
}

// unbind stops route's events from reaching q; what q holds stays.
func (b *Bus) unbind(q *queue, route string) {
	if !q.bound[route] {
		return
	}
	delete(q.bound, route)
	b.bindings[route] = slices.DeleteFunc(b.bindings[route], func(o *queue) bool { return o == q })
}

// New returns a transport over bus, for unit tests and for demos without
// RabbitMQ. It keeps the topology's shape and its order: each
// consuming service has a queue that keeps its copy of every event it
// binds until acked, in publish order; replicas of one service compete for
// that queue; dead letters go to the queue "<namespace>.<service>.dlq".
// It keeps none of the broker's durability: nothing survives the process.
func New(bus *Bus) *Transport { return &Transport{bus} }

// Transport is the in-process transport: a transport.Transport without
// optional capabilities (no event log, no resync).
type Transport struct{ bus *Bus }

// Bind binds the service env describes to the bus.
func (t *Transport) Bind(env transport.Env) (transport.Binding, error) {
	if t.bus == nil {
		return nil, errors.New("InProcess: bus is nil; use service.NewInProcessBus() or inprocess.NewBus()")
	}
	if env.Names == nil {
		return nil, errors.New("inprocess: transport.Env needs Names (service.New fills them in)")
	}
	return &binding{bus: t.bus, env: env}, nil
}

// binding is the bus bound to one service.
type binding struct {
	bus *Bus
	env transport.Env
}

// Publish puts each event into every queue bound to its route, at once.
func (b *binding) Publish(_ context.Context, msgs []*message.Message) error {
	for _, msg := range msgs {
		b.bus.publish(routedEvent{
			msg:        msg.Copy(),
			exchange:   b.env.Names.Exchange(msg.Metadata.Get(runtime.HeaderSource)),
			routingKey: runtime.RoutingKey(msg.Metadata.Get(runtime.HeaderType), eventVersion(msg)),
		})
	}
	return nil
}

// Consume declares the service's queue and dead-letter queue and hands the
// queue's events to out, in order, until ctx ends. Once drained,
// whatever this consumer still holds goes back to the queue in place, as
// RabbitMQ does with the unacked deliveries of a closed channel.
func (b *binding) Consume(ctx context.Context, out chan<- transport.Delivery, drain func(), ready func()) error {
	if b.env.Queue == "" {
		ready()
		<-ctx.Done()
		close(out)
		drain()
		return nil
	}
	q := b.bus.declare(b.env.Queue, bindingsOf(b.env.Plan.Bindings, b.env.Queue), bindingsOf(b.env.Plan.Unbindings, b.env.Queue))
	dlq := b.bus.declare(b.env.DeadLetterQueue, nil, nil)
	c := new(consumer)
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
func bindingsOf(bindings []transport.BindingSpec, queue string) []transport.BindingSpec {
	var own []transport.BindingSpec
	for _, bd := range bindings {
		if bd.Queue == queue {
			own = append(own, bd)
		}
	}
	return own
}

// forward takes q's events for c, in order, and sends them to out until
// ctx ends; an event taken but not sent goes back.
func (b *binding) forward(ctx context.Context, q, dlq *queue, c *consumer, out chan<- transport.Delivery) {
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

func (b *binding) wrap(q, dlq *queue, c *consumer, el *list.Element) *delivery {
	e := el.Value.(*queued).event
	return &delivery{e: e, msg: e.msg.Copy(), q: q, dlq: dlq, c: c, el: el}
}

// delivery is one event taken from an in-process queue.
type delivery struct {
	e      routedEvent
	msg    *message.Message
	q, dlq *queue
	c      *consumer
	el     *list.Element
}

func (d *delivery) Message() *message.Message { return d.msg }
func (d *delivery) Exchange() string          { return d.e.exchange }
func (d *delivery) RoutingKey() string        { return d.e.routingKey }
func (d *delivery) Ack() error                { return d.q.ack(d.el, d.c) }
func (d *delivery) Nack(requeue bool) error   { return d.q.nack(d.el, d.c, requeue) }

// Stale is false: an in-process queue loses no channel.
func (d *delivery) Stale() bool { return false }

// DeadLetter pushes a copy with headers added to the dead-letter queue.
func (d *delivery) DeadLetter(_ context.Context, headers map[string]string) error {
	dead := d.e.msg.Copy()
	for k, v := range headers {
		dead.Metadata.Set(k, v)
	}
	d.dlq.push(routedEvent{msg: dead, exchange: d.e.exchange, routingKey: d.e.routingKey})
	return nil
}

// Close has nothing to release: the bus outlives the service.
func (b *binding) Close() error { return nil }

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

// eventVersion is msg's event version; 0 when it has none, which routes
// it nowhere.
func eventVersion(msg *message.Message) int {
	n, _ := strconv.Atoi(msg.Metadata.Get(runtime.HeaderEventVersion))
	return n
}
