// Package transportflag turns the example services' -transport flag into
// a transport: empty for RabbitMQ (the -amqp flag's broker), or a
// nats:// URL for NATS JetStream (runtime/transport/jetstream).
package transportflag

import (
	"fmt"
	"strings"

	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/transport/jetstream"
)

// Usage is the flag's help text.
const Usage = "`transport`: empty for RabbitMQ at -amqp, or a NATS JetStream URL such as nats://127.0.0.1:4222 (env EVGEN_TRANSPORT)"

// Parse returns the transport v names; nil for RabbitMQ, which the
// services build from -amqp themselves.
func Parse(v string) (service.Transport, error) {
	switch {
	case v == "" || v == "amqp":
		return nil, nil
	case strings.HasPrefix(v, "nats://"):
		return jetstream.New(v, jetstream.Options{}), nil
	default:
		return nil, fmt.Errorf("-transport %q: want empty (RabbitMQ at -amqp) or a nats:// URL", v)
	}
}
