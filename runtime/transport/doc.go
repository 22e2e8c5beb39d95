// Package transport holds the interfaces between the engine
// (runtime/service) and a transport that lives outside it: a transport
// binds to one service (Bind), publishes its events, and hands the engine
// the deliveries of what it consumes, each of which the engine settles
// once. The engine's own transports (service.AMQP, service.InProcess)
// implement the same Delivery; runtime/transport/pubsub carries events
// over any Watermill Pub/Sub, and runtime/transport/jetstream over NATS
// JetStream through it.
//
// Transports import this package; applications only pass a Transport to
// service.Config.
package transport
