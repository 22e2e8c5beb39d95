package pubsub

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/evgenhq/evgen/runtime/transport"
)

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

// binding is the transport bound to one service.
type binding struct {
	cfg Config
	env env
	dlq string

	mu       sync.Mutex
	prepared bool
}

// MessagingSystem is Config.System (transport.MessagingSystem).
func (b *binding) MessagingSystem() string { return b.cfg.System }

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
