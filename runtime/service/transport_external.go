package service

import (
	"context"
	"errors"
	"maps"
	"slices"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/transport"
)

// errOwnTransport is what Bind of the engine's own transports returns:
// only New binds them, through bind.
var errOwnTransport = errors.New("the AMQP and in-process transports are bound by service.New, not Bind")

// bindTransport binds t to the service env describes: the engine's own
// transports with the whole config, any other through transport.Env.
func bindTransport(t Transport, env transportEnv) (binding, error) {
	if own, ok := t.(ownTransport); ok {
		return own.bind(env)
	}
	b, err := t.Bind(exportedEnv(env))
	if err != nil {
		return nil, err
	}
	return externalBinding{b}, nil
}

// exportedEnv is what a transport outside the engine is told.
func exportedEnv(env transportEnv) transport.Env {
	e := transport.Env{
		Service: env.service, Namespace: env.names.namespace,
		Publishes:   len(env.cfg.Contract.Publishes) > 0,
		Concurrency: env.cfg.Concurrency, Prefetch: env.cfg.Prefetch,
		Logger: env.log, RetryDelay: env.cfg.Connect.delay,
	}
	byProducer := map[string][]string{}
	for _, c := range env.cfg.Contract.Consumes {
		byProducer[c.Producer] = append(byProducer[c.Producer], runtime.RoutingKey(c.Type, c.Version))
	}
	for _, p := range slices.Sorted(maps.Keys(byProducer)) {
		e.Subscriptions = append(e.Subscriptions, transport.Subscription{Producer: p, RoutingKeys: byProducer[p]})
	}
	return e
}

// externalBinding is a transport.Binding as the engine holds a binding.
type externalBinding struct{ b transport.Binding }

func (e externalBinding) publish(ctx context.Context, msgs []*message.Message) error {
	return e.b.Publish(ctx, msgs)
}

func (e externalBinding) close() error { return e.b.Close() }

// consume wraps each delivery for the worker as it arrives. The binding
// closes its channel before it calls drain; the wrapper then closes the
// worker's, so that the worker ends and drain returns.
func (e externalBinding) consume(ctx context.Context, out chan<- *delivery, drain func(), ready func()) error {
	in := make(chan transport.Delivery)
	go func() {
		defer close(out)
		for d := range in {
			out <- newDelivery(d)
		}
	}()
	return e.b.Consume(ctx, in, drain, ready)
}

// Bind refuses: the AMQP transport needs the whole config (see
// ownTransport), and service.New binds it with that.
func (amqpTransport) Bind(transport.Env) (transport.Binding, error) { return nil, errOwnTransport }

// Bind refuses, as the AMQP transport's does.
func (inProcessTransport) Bind(transport.Env) (transport.Binding, error) {
	return nil, errOwnTransport
}

// capabilities is the binding whose optional interfaces
// (transport.EventLog, transport.QueueSender, transport.QueueConsumer)
// sync and resync look for: a transport.Binding from outside the engine
// as it was bound, or one of the engine's own.
func (s *Service) capabilities() any {
	if e, ok := s.transport.(externalBinding); ok {
		return e.b
	}
	return s.transport
}
