// Package service is evgen's engine: a Service binds its contract to a
// transport, publishes, consumes through the store's inbox (in order or in
// batches), retries, dead-letters what it cannot handle, holds deliveries
// while the store is down, and exports metrics and traces. Sync from a
// producer's event log and the serving of resync requests run here too,
// through the service's handlers and inbox, on what the transport offers
// (runtime/transport's optional interfaces). The transports live beside
// it, in runtime/transport/amqp (RabbitMQ) and runtime/transport/inprocess;
// AMQP, InProcess and NewInProcessBus forward to them. The operator's
// dead-letter tool is in runtime/recovery.
//
// Applications import it to build and run their service:
//
//	svc, err := service.New(service.Config{Contract: usersevents.Contract, Store: st, Transport: service.AMQP(url)})
//
// Generated code does not import it: it takes a runtime.Registrar or a
// runtime.Syncer, which *Service implements. Transports and stores do not
// import it either: it imports them.
package service
