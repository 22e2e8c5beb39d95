package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/store"
	"github.com/evgenhq/evgen/runtime/transport"
)

var _ store.BatchPublisher = (*Service)(nil)

// PublishBatch publishes msgs in order, with their confirms pipelined, and
// returns one error per message: nil once the broker confirmed it. An
// event outside the service's contract, one the marshaler rejects, and an
// unroutable one while the event log is disabled fail with a
// runtime.Permanent error without holding back the others. Unlike Publish
// it tries once: the outbox relay, its caller, sends again what failed.
// Each event is traced as relayed (the outbox relay is its caller). It
// implements store.BatchPublisher.
func (s *Service) PublishBatch(ctx context.Context, msgs []*message.Message) []error {
	errs := make([]error, len(msgs))
	var send []*message.Message
	var at []int // at[j] is the index in msgs of send[j]
	for i, msg := range msgs {
		if errs[i] = s.checkPublishes(msg); errs[i] == nil {
			errs[i] = s.stamp(msg) // the size limit and dataschema, as Publish
		}
		if errs[i] == nil {
			send, at = append(send, msg), append(at, i)
		}
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.cfg.PublishTimeout)
		defer cancel()
	}
	// Each event's relay span ends with its own confirm or error.
	spans := make([]sendSpans, len(send))
	for j := range send {
		spans[j] = s.tracer.startSends(ctx, opRelay, send[j:j+1])
	}
	for j, err := range s.publishEach(ctx, send) {
		spans[j].end(err)
		if errors.Is(err, ErrUnroutable) && s.cfg.EventLog.Disabled {
			err = runtime.Permanent(err)
		}
		errs[at[j]] = err
		if err == nil {
			s.countPublished(send[j])
		}
	}
	return errs
}

// publishEach sends msgs through the binding at once when it can, else
// one at a time, in order.
func (s *Service) publishEach(ctx context.Context, msgs []*message.Message) []error {
	if len(msgs) == 0 {
		return nil
	}
	if b, ok := s.capabilities().(transport.BatchPublisher); ok {
		return b.PublishEach(ctx, msgs)
	}
	errs := make([]error, len(msgs))
	for i, msg := range msgs {
		errs[i] = s.transport.Publish(ctx, []*message.Message{msg})
	}
	return errs
}

// checkPublishes fails, permanently, an event outside the contract.
func (s *Service) checkPublishes(msg *message.Message) error {
	key := runtime.RoutingKey(msg.Metadata.Get(runtime.HeaderType), atoiOr0(msg.Metadata.Get(runtime.HeaderEventVersion)))
	if !s.publishes[key] {
		return runtime.Permanent(fmt.Errorf("service %s does not publish %s (event %s): not in its contract", s.cfg.Contract.Service, key, msg.UUID))
	}
	return nil
}

// countPublished counts msg in evgen_published_total.
func (s *Service) countPublished(msg *message.Message) {
	s.metrics.published.WithLabelValues(s.cfg.Contract.Service, msg.Metadata.Get(runtime.HeaderType), msg.Metadata.Get(runtime.HeaderEventVersion)).Inc()
}
