// Package jetstream carries a service's events over NATS JetStream, through
// the Watermill transport in runtime/transport/pubsub, whose package doc
// says what the engine keeps (inbox, outbox, retries, dead letters) and
// what it leaves to the Pub/Sub. It publishes with watermill-nats
// (github.com/ThreeDotsLabs/watermill-nats/v2/pkg/nats) and subscribes
// with a Watermill subscriber of its own on nats.go (subscriber.go says
// why).
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
//     a new RabbitMQ queue does. A service started with other
//     Options.AckWait or MaxAckPending updates its consumer to them.
//   - A publish returns once JetStream stored the event (its publish
//     acknowledgement), one event at a time. JetStream drops a second
//     publish of an event ID within two minutes (Nats-Msg-Id), so a relay
//     that sends again after a crash does not store it twice; the inbox
//     skips later copies.
//   - A replica handles its events one at a time, in stream order, and
//     acks each once its inbox transaction committed, without waiting for
//     the server's reply. JetStream sends up to Options.MaxAckPending
//     (default 1) unacked events per consumer. With 1, the replicas of a
//     service take turns and apply a producer's events in publish order;
//     with more, a replica applies them faster and still in publish order
//     across graceful restarts and SIGKILL, but the replicas work at
//     once, and their events interleave.
//   - An event not acked within Options.AckWait (a replica killed or cut
//     off) is redelivered. A replica that finds its consumer holding such
//     events with no replica bound to it sets the consumer's MaxAckPending
//     to 1 until they came back, after AckWait, and were acked, so that no
//     newer event overtakes them.
//   - A graceful stop acks what the service applied, waits until the
//     server has delivered nothing the subscription did not receive and
//     sends nothing more (it acks nothing meanwhile, so the consumer
//     fills up to MaxAckPending), drains the subscriptions, nacks what it
//     took and did not hand over, in stream order (JetStream redelivers
//     it at once, ahead of newer events), and flushes the acks and nacks
//     before the connection closes: it leaves nothing for AckWait, and a
//     restarted replica goes on at once, in order. With other replicas of
//     the service consuming a backlog, the wait gives up after a second,
//     and an event the server pushes in the instant before the
//     unsubscribe comes back after AckWait.
//
// # Sync
//
// A producer's stream is its event log (the binding is a
// transport.EventLog), so Service.Sync and the generated
// SyncFrom<Producer> work over JetStream: a position is a stream
// sequence; a sync first creates the service's durable consumer unless it
// exists (so every event from then on reaches the service's Run), then
// takes the stream's last sequence as the tail and reads, with a nats.go
// ordered consumer, from the stream's first event, a time
// (runtime.SyncFromTime: the first event JetStream stored at or after it)
// or a sequence (runtime.SyncFromOffset, and the stored position of an
// interrupted sync plus one) to the tail. The stream keeps what
// Options.MaxAge keeps, 7 days by default, so a sync reaches back that
// far. A producer whose stream does not exist yet (neither it nor a
// consumer of it ever ran) makes Sync fail with service.ErrNoEventLog.
//
// Resync requests (svc.RequestResync) are not offered: they fail with
// service.ErrNoResync, and a producer answers none over JetStream.
package jetstream
