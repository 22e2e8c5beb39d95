package service

import (
	"context"
	"fmt"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/store"
)

// OutboxSetAside counts and logs an event the outbox relay set aside.
func (s *Service) OutboxSetAside(msg *message.Message, reason error) {
	typ, version := msg.Metadata.Get(runtime.HeaderType), msg.Metadata.Get(runtime.HeaderEventVersion)
	s.metrics.setAside.WithLabelValues(s.cfg.Contract.Service, typ, version).Inc()
	s.log.Error("outbox event set aside: it can never be sent, so the relay goes on without it; fix the cause, then `evgen outbox retry` or `evgen outbox drop` it",
		"event_id", msg.UUID, "type", typ, "version", version, "reason", reason)
}

// claimOutbox makes this service the owner of its store's outbox, when the
// store keeps one, so that a second service configured on the same outbox
// table stops at start-up instead of setting aside the first one's events.
func (s *Service) claimOutbox(ctx context.Context) error {
	o, ok := s.cfg.Store.(store.OutboxOwner)
	if !ok {
		return nil
	}
	if err := o.ClaimOutbox(ctx, s.cfg.Contract.Service); err != nil {
		return fmt.Errorf("service %s: %w", s.cfg.Contract.Service, err)
	}
	return nil
}

// relayPublisher is the service as its outbox relay's publisher: Publish
// traces each event as relayed (a "relay" send span, the child of the span
// the event was written in), and a set-aside event is reported to the
// service (store.SetAsideReporter, through the embedded Service).
type relayPublisher struct{ *Service }

func (r relayPublisher) Publish(ctx context.Context, msgs ...*message.Message) error {
	return r.publish(ctx, opRelay, msgs)
}
