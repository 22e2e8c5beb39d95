// Package pubsub carries a service's events over any Watermill Pub/Sub:
// a message.Publisher for what the service publishes and its dead letters,
// and a message.Subscriber per consumer group for what it consumes. The
// generated publishers and handlers, the inbox (each event applied once in
// effect), the outbox and its commit-ordered relay, retries and
// dead-lettering are the engine's and work as on RabbitMQ; what the
// transport promises beyond that is what the Pub/Sub promises.
//
// # Topics
//
// Each producer publishes to one topic, "<namespace>.<producer>" (Topic),
// so that a consumer receives one producer's events in the order they were
// published. A consuming service subscribes, with the consumer group
// "<namespace>.<service>" (Group), to the topic of every producer it
// consumes from, and acks without handling the events of types it does
// not consume: the Pub/Sub has no routing keys to bind. Dead letters go to
// the topic Config.DeadLetterTopic names ("<namespace>.<service>.dlq" by
// default) with the x-evgen-* headers the RabbitMQ transport adds.
//
// # What depends on the Pub/Sub
//
//   - Fan-out and competing replicas: every service gets every event and
//     the replicas of one service share them only when the Pub/Sub keeps
//     consumer groups apart (JetStream durable consumers, Kafka consumer
//     groups). Without groups (gochannel) every replica gets every event:
//     the inbox still applies it once when the replicas share a store.
//   - Keeping events while a service is down: only a durable Pub/Sub
//     (JetStream, Kafka) keeps what a stopped service has not acked.
//   - Order: a replica receives one topic's events in order only when the
//     Pub/Sub delivers them in order and hands over the next one after the
//     previous one is acked, as Watermill's Subscriber contract asks.
//   - Confirms: Publish returns once the Pub/Sub's Publish returned; a
//     durable Pub/Sub (JetStream's publish acknowledgement) has stored the
//     event by then, gochannel only handed it to the subscribers present.
//
// # What it does not offer
//
// These are refused when the service is built (service.New), not found
// out at run time:
//
//   - Concurrency above 1: a Watermill subscriber hands over one message
//     of a topic at a time and waits for its ack, so a batch would hold
//     one event per topic; there is nothing to batch.
//   - A consuming service without Config.Subscriber.
//
// Sync from a producer's event log returns service.ErrNoEventLog at once:
// a Watermill Pub/Sub has no way to replay a topic from a position, so
// this binding is no transport.EventLog (runtime/transport/jetstream adds
// one over JetStream's streams). Asking a producer to resync
// (svc.RequestResync) fails with service.ErrNoResync and a producer
// answers no resync requests; the operator's dead-letter tool
// (runtime/recovery, evgen dlq) reads RabbitMQ queues only; publishing
// takes the Pub/Sub's pace (watermill-nats waits for each publish
// acknowledgement in turn).
package pubsub
