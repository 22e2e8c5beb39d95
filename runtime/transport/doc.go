// Package transport holds the interfaces between the engine
// (runtime/service) and a transport that lives outside it: a transport
// binds to one service (Bind), publishes its events, and hands the engine
// the deliveries of what it consumes, each of which the engine settles
// once. The engine's own transports (service.AMQP, service.InProcess)
// implement the same Delivery; runtime/transport/pubsub carries events
// over any Watermill Pub/Sub, and runtime/transport/jetstream over NATS
// JetStream through it.
//
// A Binding may offer more through small optional interfaces, which the
// engine finds by type assertion: EventLog (a producer's log to read
// again, for Service.Sync), QueueSender and QueueConsumer (sending to one
// queue and consuming the service's resync-request queue, for
// RequestResync). A binding without one gets ErrNoEventLog or a resync
// error from the engine, not a panic.
//
// Transports import this package; applications only pass a Transport to
// service.Config.
package transport
