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
	"slices"
	"sync"

	"github.com/ThreeDotsLabs/watermill/message"
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
// queue "<namespace>.<service>.queue" or its dead-letter queue
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
