package service

import (
	"maps"
	"slices"

	"github.com/ThreeDotsLabs/watermill/message"
	"go.opentelemetry.io/otel/trace"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/transport"
	amqptransport "github.com/evgenhq/evgen/runtime/transport/amqp"
	"github.com/evgenhq/evgen/runtime/transport/inprocess"
)

// Transport carries a service's events: AMQP for RabbitMQ, InProcess for
// tests and demos, or any transport.Transport (runtime/transport/pubsub
// over a Watermill Pub/Sub, runtime/transport/jetstream over NATS).
type Transport = transport.Transport

// AMQP returns the RabbitMQ transport for the broker at urls: one URL for
// a single broker, or one per node of a cluster. It is amqp.New of
// runtime/transport/amqp, whose doc says how it connects and fails over.
func AMQP(urls ...string) Transport { return amqptransport.New(urls...) }

// InProcessBus is the in-memory broker that services in one process share
// through InProcess; see inprocess.Bus.
type InProcessBus = inprocess.Bus

// NewInProcessBus returns an empty bus for InProcess (inprocess.NewBus).
func NewInProcessBus() *InProcessBus { return inprocess.NewBus() }

// InProcess returns a transport over bus, for unit tests and for demos
// without RabbitMQ; see inprocess.New.
func InProcess(bus *InProcessBus) Transport { return inprocess.New(bus) }

// Delivery is one event a transport took from the service's queue; see
// transport.Delivery.
type Delivery = transport.Delivery

// AckThrougher is a Delivery that acks every earlier delivery of its
// channel with it; see transport.AckThrougher.
type AckThrougher = transport.AckThrougher

// Unreadable is a Delivery that may not be a readable event; see
// transport.Unreadable.
type Unreadable = transport.Unreadable

// AckDeferrer is a Delivery whose ack can wait to go with a later one; see
// transport.AckDeferrer.
type AckDeferrer = transport.AckDeferrer

// UserIdentified is a Delivery whose transport says which broker user
// published it; see transport.UserIdentified.
type UserIdentified = transport.UserIdentified

// transportEnv is what the service's transport is told about it.
func (s *Service) transportEnv() transport.Env {
	n := s.names()
	env := transport.Env{
		Service: s.cfg.Contract.Service, Namespace: n.namespace,
		Publishes:   len(s.cfg.Contract.Publishes) > 0,
		Concurrency: s.cfg.Concurrency, Prefetch: s.cfg.Prefetch,
		Logger: s.log, RetryDelay: s.cfg.Connect.delay,
		Plan: Topology(s.cfg), Names: n, PublisherChannels: s.cfg.PublisherChannels,
	}
	if len(s.cfg.Contract.Consumes) > 0 {
		env.Queue, env.DeadLetterQueue = n.queue(s.cfg.Contract.Service), n.deadLetterQueue(s.cfg.Contract.Service)
		env.OldQueue = n.oldQueue(s.cfg.Contract.Service)
	}
	byProducer := map[string][]string{}
	for _, c := range s.cfg.Contract.Consumes {
		byProducer[c.Producer] = append(byProducer[c.Producer], runtime.RoutingKey(c.Type, c.Version))
	}
	for _, p := range slices.Sorted(maps.Keys(byProducer)) {
		env.Subscriptions = append(env.Subscriptions, transport.Subscription{Producer: p, RoutingKeys: byProducer[p]})
	}
	return env
}

// capabilities is the binding whose optional interfaces
// (transport.EventLog, QueueSender, QueueConsumer, BatchPublisher) sync,
// resync and the outbox relay look for.
func (s *Service) capabilities() any { return s.transport }

// delivery is a Delivery as the worker holds it.
type delivery struct {
	Delivery
	msg *message.Message
	// duplicate is set when the inbox found the event applied before.
	duplicate bool
	// superseded is set when an event of its key as new or newer was
	// applied before: it is stale, and its handler did not run (order.go).
	superseded *placed
	// scope is the handler scope of the latest attempt.
	scope *scope
	// span is the process span of the latest attempt, for the settle span.
	span trace.SpanContext
}

func newDelivery(d Delivery) *delivery { return &delivery{Delivery: d, msg: d.Message()} }
