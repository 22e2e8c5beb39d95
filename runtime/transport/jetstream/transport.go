package jetstream

import (
	"errors"

	"github.com/nats-io/nats.go"

	"github.com/evgenhq/evgen/runtime/transport"
	"github.com/evgenhq/evgen/runtime/transport/pubsub"
)

// New returns the transport over the NATS server at url
// ("nats://127.0.0.1:4222", JetStream enabled). Each service bound to it
// opens its own connections; a server that is away is waited for.
func New(url string, opts Options) transport.Transport { return natsTransport{url, opts} }

type natsTransport struct {
	url  string
	opts Options
}

// Bind builds the service's watermill-nats publisher and the factory of
// its subscribers (subscriber.go), binds the Watermill transport over
// them, and adds what JetStream offers beyond it: the producers' streams
// as event logs (eventlog.go).
func (t natsTransport) Bind(env transport.Env) (transport.Binding, error) {
	o := t.opts
	o.setDefaults()
	cfg, js, err := o.config(t.url, env.Service, env.Logger)
	if err != nil {
		return nil, err
	}
	b, err := pubsub.New(cfg).Bind(env)
	if err != nil {
		return nil, errors.Join(err, cfg.Publisher.Close())
	}
	dlqOf := o.DeadLetterTopic
	if dlqOf == nil {
		dlqOf = pubsub.DefaultDeadLetterTopic
	}
	return &binding{Binding: b, opts: o, js: js, cfg: cfg, env: env, dlq: dlqOf(env.Namespace, env.Service)}, nil
}

// binding is the Watermill transport bound to one service, with the
// JetStream streams as its event logs (a transport.EventLog).
type binding struct {
	transport.Binding
	opts Options
	js   nats.JetStreamContext
	cfg  pubsub.Config
	env  transport.Env
	dlq  string // the service's dead-letter topic
}

// MessagingSystem is "nats" (transport.MessagingSystem). It is declared
// here: the embedded transport.Binding does not promote the pubsub
// binding's.
func (b *binding) MessagingSystem() string { return "nats" }

var (
	_ transport.EventLog        = (*binding)(nil)
	_ transport.MessagingSystem = (*binding)(nil)
	_ transport.Delivery        = (*logDelivery)(nil)
)
