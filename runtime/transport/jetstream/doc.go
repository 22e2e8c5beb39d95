// Package jetstream carries a service's events over NATS JetStream, through
// watermill-nats (github.com/ThreeDotsLabs/watermill-nats/v2/pkg/nats) and
// the Watermill transport in runtime/transport/pubsub, whose package doc
// says what the engine keeps (inbox, outbox, retries, dead letters) and
// what it leaves to the Pub/Sub.
//
// On JetStream:
//
//   - Each producer's topic "<namespace>.<producer>" is a subject with a
//     stream of its own, named after it with underscores for dots
//     ("evgen_users"); each consuming service's dead-letter topic
//     "<namespace>.<service>.dlq" too. Whoever runs first creates them;
//     the file-backed streams keep events for Options.MaxAge.
//   - Each consuming service has one durable push consumer per producer
//     stream, named and queue-grouped "<namespace>_<service>": two
//     services each get every event, the replicas of one share them, and
//     the consumer keeps its place while every replica is down. A new
//     consumer starts with the events published after it was created, as
//     a new RabbitMQ queue does.
//   - A publish returns once JetStream stored the event (its publish
//     acknowledgement), one event at a time. JetStream drops a second
//     publish of an event ID within two minutes (Nats-Msg-Id), so a relay
//     that sends again after a crash does not store it twice; the inbox
//     skips later copies.
//   - An event not acked within Options.AckWait (a replica killed or cut
//     off) is redelivered, to any replica. One event is in flight per
//     consumer (Options.MaxAckPending), so that nothing overtakes it: a
//     consumer applies its producer's events in publish order across
//     crashes and restarts, at a round trip per event, and the replicas of
//     a service take turns rather than work at once.
//   - A graceful stop nacks what JetStream hands over once the service
//     stopped taking deliveries (redelivered after Options.NakDelay) and
//     waits until its connection closed; an event pushed in the instant
//     between the last ack and the end of the subscription comes back
//     after AckWait.
//
// Sync from a producer's log and resync requests are not offered over
// JetStream yet: see runtime/transport/pubsub.
package jetstream
