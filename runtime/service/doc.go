// Package service is evgen's engine: a Service declares a contract's
// RabbitMQ topology, publishes with confirms, consumes through the store's
// inbox (in order or in batches), retries, dead-letters what it cannot
// handle, holds deliveries while the store is down, and exports metrics.
// It also holds the transports (AMQP, InProcess), sync from a producer's
// event log and the serving of resync requests, all of which run through
// the service's handlers and inbox. The operator's dead-letter tool is in
// runtime/recovery.
//
// Applications import it to build and run their service:
//
//	svc, err := service.New(service.Config{Contract: usersevents.Contract, Store: st, Transport: service.AMQP(url)})
//
// Generated code does not import it: it takes a runtime.Registrar or a
// runtime.Syncer, which *Service implements.
package service
