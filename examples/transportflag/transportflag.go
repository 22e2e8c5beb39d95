// Package transportflag turns the example services' -transport flag into
// a transport: empty for RabbitMQ (the -amqp flag's broker), or a
// nats:// URL for NATS JetStream (runtime/transport/jetstream), whose
// query may set ack_wait (a Go duration: how soon JetStream redelivers an
// event a killed replica did not ack).
package transportflag

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/transport/jetstream"
)

// Usage is the flag's help text.
const Usage = "`transport`: empty for RabbitMQ at -amqp, or a NATS JetStream URL such as nats://127.0.0.1:4222 (optionally ?ack_wait=5s) (env EVGEN_TRANSPORT)"

// Parse returns the transport v names; nil for RabbitMQ, which the
// services build from -amqp themselves.
func Parse(v string) (service.Transport, error) {
	switch {
	case v == "" || v == "amqp":
		return nil, nil
	case strings.HasPrefix(v, "nats://"):
		return parseNATS(v)
	default:
		return nil, fmt.Errorf("-transport %q: want empty (RabbitMQ at -amqp) or a nats:// URL", v)
	}
}

func parseNATS(v string) (service.Transport, error) {
	u, err := url.Parse(v)
	if err != nil {
		return nil, fmt.Errorf("-transport %q: %w", v, err)
	}
	var opts jetstream.Options
	q := u.Query()
	if s := q.Get("ack_wait"); s != "" {
		if opts.AckWait, err = time.ParseDuration(s); err != nil || opts.AckWait <= 0 {
			return nil, fmt.Errorf("-transport %q: ack_wait %q: want a positive duration such as 5s", v, s)
		}
		q.Del("ack_wait")
	}
	if len(q) > 0 {
		return nil, fmt.Errorf("-transport %q: unknown query %q: only ack_wait is understood", v, q.Encode())
	}
	u.RawQuery = ""
	return jetstream.New(u.String(), opts), nil
}
