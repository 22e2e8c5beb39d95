package pubsub

import (
	"context"
	"errors"
	"fmt"

	"github.com/ThreeDotsLabs/watermill/message"
)

// Config is a Watermill Pub/Sub pair for New.
type Config struct {
	// Publisher sends the service's events and its dead letters. Required.
	// It must be safe for concurrent use, as Watermill's publishers are.
	Publisher message.Publisher
	// Subscriber returns a subscriber in the consumer group group
	// (Group(namespace, service)): subscribers of one group share a
	// topic's messages, subscribers of different groups each get all of
	// them. Called once per Run of a consuming service; Run closes what it
	// returns. Required when the service consumes.
	Subscriber func(group string) (message.Subscriber, error)
	// DeadLetterTopic returns the topic service's dead letters go to; nil
	// means DefaultDeadLetterTopic.
	DeadLetterTopic func(namespace, service string) string
	// Prepare, when set, is called with the topics the service uses and
	// its consumer group before the first publish and before subscribing,
	// and again after it failed: for Pub/Subs whose topics or consumer
	// groups must be created first (JetStream streams and durable
	// consumers). It must be idempotent.
	Prepare func(ctx context.Context, t Topics) error
	// System names the Pub/Sub's broker as OpenTelemetry's messaging.system
	// attribute of the service's spans ("kafka", "gcp_pubsub", "nats",
	// ...; transport.MessagingSystem). Empty leaves the attribute out.
	System string
}

// Topics are the topics one service uses, for Config.Prepare.
type Topics struct {
	// Publish is the service's own topic; "" when it publishes nothing.
	Publish string
	// Group is the service's consumer group, Subscribe the topics it
	// consumes from (sorted) and DeadLetter where its dead letters go;
	// all empty when it consumes nothing.
	Group      string
	Subscribe  []string
	DeadLetter string
}

// All is every topic in t, without repeats.
func (t Topics) All() []string {
	var out []string
	seen := map[string]bool{}
	for _, topic := range append([]string{t.Publish, t.DeadLetter}, t.Subscribe...) {
		if topic != "" && !seen[topic] {
			seen[topic] = true
			out = append(out, topic)
		}
	}
	return out
}

// Topic is the topic producer's events are published to.
func Topic(namespace, producer string) string { return namespace + "." + producer }

// Group is the consumer group of service's replicas.
func Group(namespace, service string) string { return namespace + "." + service }

// DefaultDeadLetterTopic is the topic service's dead letters go to unless
// Config.DeadLetterTopic says otherwise.
func DefaultDeadLetterTopic(namespace, service string) string {
	return namespace + "." + service + ".dlq"
}

// check reports what cfg cannot do for the service described by e.
func (c Config) check(e env, concurrency int) error {
	var errs []error
	if c.Publisher == nil {
		errs = append(errs, errors.New("pubsub: Config.Publisher is nil: give the Watermill publisher events are sent with"))
	}
	if len(e.consumed) > 0 && c.Subscriber == nil {
		errs = append(errs, fmt.Errorf("pubsub: service %s consumes events but Config.Subscriber is nil: give a function returning a Watermill subscriber in a consumer group", e.service))
	}
	if concurrency > 1 {
		errs = append(errs, fmt.Errorf("pubsub: Concurrency %d: a Watermill subscriber hands over one message of a topic at a time, so there is nothing to batch; use Concurrency 1", concurrency))
	}
	return errors.Join(errs...)
}
