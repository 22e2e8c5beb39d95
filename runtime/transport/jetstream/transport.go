package jetstream

import (
	"errors"

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

// Bind builds the service's watermill-nats publisher and subscriber
// factory, and binds the Watermill transport over them.
func (t natsTransport) Bind(env transport.Env) (transport.Binding, error) {
	cfg, err := t.opts.config(t.url, env.Service, env.Logger)
	if err != nil {
		return nil, err
	}
	b, err := pubsub.New(cfg).Bind(env)
	if err != nil {
		return nil, errors.Join(err, cfg.Publisher.Close())
	}
	return b, nil
}
