package pubsub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/evgenhq/evgen/runtime/transport"
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

// New returns the transport over cfg's Pub/Sub. What it cannot do for a
// service is an error from service.New; see the package doc.
func New(cfg Config) transport.Transport { return pubsubTransport{cfg} }

type pubsubTransport struct{ cfg Config }

// Bind checks what the service needs against the Pub/Sub.
func (t pubsubTransport) Bind(te transport.Env) (transport.Binding, error) {
	e := newEnv(te)
	if err := t.cfg.check(e, te.Concurrency); err != nil {
		return nil, err
	}
	return newBinding(t.cfg, e), nil
}

// env is what a binding needs to know about its service.
type env struct {
	service, namespace string
	// own is the topic the service publishes to; "" when it publishes
	// nothing.
	own string
	// consumed maps each topic the service subscribes to onto the routing
	// keys ("<type>.v<version>") it handles from it.
	consumed map[string]map[string]bool
	log      *slog.Logger
	// retryDelay is the wait before attempt n to prepare or subscribe.
	retryDelay func(attempt int) time.Duration
}

func newEnv(te transport.Env) env {
	e := env{service: te.Service, namespace: te.Namespace, log: te.Logger, retryDelay: te.RetryDelay, consumed: map[string]map[string]bool{}}
	if te.Publishes {
		e.own = Topic(te.Namespace, te.Service)
	}
	for _, sub := range te.Subscriptions {
		keys := map[string]bool{}
		for _, k := range sub.RoutingKeys {
			keys[k] = true
		}
		e.consumed[Topic(te.Namespace, sub.Producer)] = keys
	}
	return e
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

// binding is the transport bound to one service.
type binding struct {
	cfg Config
	env env
	dlq string

	mu       sync.Mutex
	prepared bool
}

func newBinding(cfg Config, e env) *binding {
	dlqOf := cfg.DeadLetterTopic
	if dlqOf == nil {
		dlqOf = DefaultDeadLetterTopic
	}
	b := &binding{cfg: cfg, env: e}
	if len(e.consumed) > 0 {
		b.dlq = dlqOf(e.namespace, e.service)
	}
	return b
}

// topics are the topics the service uses.
func (b *binding) topics() Topics {
	t := Topics{Publish: b.env.own, DeadLetter: b.dlq}
	if len(b.env.consumed) > 0 {
		t.Group = Group(b.env.namespace, b.env.service)
	}
	for topic := range b.env.consumed {
		t.Subscribe = append(t.Subscribe, topic)
	}
	sort.Strings(t.Subscribe)
	return t
}

// prepare runs Config.Prepare once it succeeded; until then every call
// tries again.
func (b *binding) prepare(ctx context.Context) error {
	if b.cfg.Prepare == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.prepared {
		return nil
	}
	if err := b.cfg.Prepare(ctx, b.topics()); err != nil {
		return fmt.Errorf("prepare topics %v: %w", b.topics().All(), err)
	}
	b.prepared = true
	return nil
}

// Publish sends msgs to their producer's topic, which is the service's
// own: the engine publishes nothing else.
func (b *binding) Publish(ctx context.Context, msgs []*message.Message) error {
	if err := b.prepare(ctx); err != nil {
		return err
	}
	if err := b.cfg.Publisher.Publish(b.env.own, msgs...); err != nil {
		return fmt.Errorf("publish to %s: %w", b.env.own, err)
	}
	return nil
}

// Close closes the publisher.
func (b *binding) Close() error { return b.cfg.Publisher.Close() }
