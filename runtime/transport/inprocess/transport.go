package inprocess

import (
	"container/list"
	"context"
	"errors"
	"strconv"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/transport"
)

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
		return nil, errors.New("inprocess: bus is nil; use service.NewInProcessBus() or inprocess.NewBus()")
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

// MessagingSystem is "rabbitmq" (transport.MessagingSystem): the bus
// stands in for RabbitMQ's exchanges and queues, so that spans in tests
// and demos read as they will in production.
func (b *binding) MessagingSystem() string { return "rabbitmq" }

var _ transport.MessagingSystem = (*binding)(nil)

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

// eventVersion is msg's event version; 0 when it has none, which routes
// it nowhere.
func eventVersion(msg *message.Message) int {
	n, _ := strconv.Atoi(msg.Metadata.Get(runtime.HeaderEventVersion))
	return n
}
