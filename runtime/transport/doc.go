// Package transport holds the interfaces between the engine
// (runtime/service) and the transports, which all live outside it: a
// transport binds to one service (Bind), publishes its events, and hands
// the engine the deliveries of what it consumes, each of which the engine
// settles once. runtime/transport/amqp carries events over RabbitMQ,
// runtime/transport/inprocess in memory, runtime/transport/pubsub over any
// Watermill Pub/Sub, and runtime/transport/jetstream over NATS JetStream
// through it. The topology plan the engine derives from a contract
// (TopologyPlan) is here too, for the transports that declare it.
//
// A Binding may offer more through small optional interfaces, which the
// engine finds by type assertion: EventLog (a producer's log to read
// again, for Service.Sync), QueueSender and QueueConsumer (sending to one
// queue and consuming the service's resync-request queue, for
// RequestResync), BatchPublisher (the outbox relay's batches in order).
// A binding without one gets ErrNoEventLog or a resync
// error from the engine, not a panic.
//
// Transports and the engine import this package, and it imports only
// runtime; applications only pass a Transport to service.Config.
package transport
