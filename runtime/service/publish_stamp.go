package service

import (
	"context"
	"fmt"
	"strings"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/evgenhq/evgen/runtime"
)

// stamp checks msg against Config.MaxEventBytes and sets its dataschema,
// before it is sent to the broker or to a requester's queue. A payload too
// large is a Permanent error: the same event is too large every time, so
// the outbox relay sets it aside instead of retrying it.
func (s *Service) stamp(msg *message.Message) error {
	if err := checkSize(msg, s.cfg.MaxEventBytes); err != nil {
		return err
	}
	if s.cfg.SchemaBaseURL != "" {
		key := runtime.RoutingKey(msg.Metadata.Get(runtime.HeaderType), atoiOr0(msg.Metadata.Get(runtime.HeaderEventVersion)))
		msg.Metadata[runtime.HeaderDataSchema] = strings.TrimSuffix(s.cfg.SchemaBaseURL, "/") + "/" + key + ".schema.json"
	}
	return nil
}

// checkSize refuses msg when its payload is over max bytes.
func checkSize(msg *message.Message, max int) error {
	if n := len(msg.Payload); n > max {
		return runtime.Permanent(fmt.Errorf("event %s (%s) is %d bytes, more than Config.MaxEventBytes (%d): nothing was sent; "+
			"keep large documents elsewhere and send their reference, or raise the limit on producer and consumers",
			msg.UUID, msg.Metadata.Get(runtime.HeaderType), n, max))
	}
	return nil
}

// sizeLimited refuses events over max bytes before p takes them: a
// handler's event is refused when it publishes, not later by the relay.
type sizeLimited struct {
	p   runtime.Publisher
	max int
}

func (l sizeLimited) Publish(ctx context.Context, msgs ...*message.Message) error {
	for _, msg := range msgs {
		if err := checkSize(msg, l.max); err != nil {
			return err
		}
	}
	return l.p.Publish(ctx, msgs...)
}
