package service

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/evgenhq/evgen/runtime"
	amqptransport "github.com/evgenhq/evgen/runtime/transport/amqp"
)

// Headers the consumer adds to an event it dead-letters.
const (
	HeaderDLQError      = "x-evgen-error"
	HeaderDLQAttempts   = "x-evgen-attempts"
	HeaderDLQExchange   = "x-evgen-original-exchange"
	HeaderDLQRoutingKey = "x-evgen-original-routing-key"
	HeaderDLQTime       = "x-evgen-dead-lettered-at"
	// HeaderDLQUserID is the broker user that published the event (its
	// AMQP user-id), when it said.
	HeaderDLQUserID = amqptransport.HeaderDLQUserID
)

// errUnknownEvent is the reason for dead-lettering an event type the
// service has no handler for.
var errUnknownEvent = errors.New("no handler for this event type and version")

// handle applies d alone, retrying with backoff until the retry policy
// gives up, then dead-letters it.
func (s *Service) handle(ctx context.Context, d *delivery) {
	if d.Stale() {
		return
	}
	h, m, err := s.route(d)
	if err != nil {
		s.deadLetter(d, m, err, 0)
		return
	}
	s.attempt(ctx, batchItem{d, h, m}, 1)
}

// attempt applies it alone, starting at attempt first, until it commits,
// or is dead-lettered or put back on the queue; see afterFailure.
func (s *Service) attempt(ctx context.Context, it batchItem, first int) {
	for n := first; n > 0; {
		it.m.Attempt = n
		err := s.applyAlone(s.workCtx, it.d, it.h, it.m)
		if err == nil {
			settle := s.tracer.startSettle([]batchItem{it})
			s.ack(it.d, it.m)
			settle.End()
			return
		}
		n = s.afterFailure(ctx, it, n, err)
	}
}

// backOff decides what follows a failed attempt: it dead-letters it when
// the error is permanent or the attempts are used up, leaves it unacked
// (back on the queue when the channel closes: see handleInOrder) when
// shutdown cuts the wait short, and otherwise waits and reports true: try
// again.
func (s *Service) backOff(ctx context.Context, it batchItem, attempt int, err error) bool {
	if runtime.IsPermanent(err) || attempt >= s.cfg.Retry.MaxAttempts {
		s.deadLetter(it.d, it.m, err, attempt)
		return false
	}
	s.inc(s.metrics.retried, it.m)
	wait := s.cfg.Retry.delay(attempt)
	s.log.Warn("handler failed, retrying", "type", it.m.Type, "id", it.m.ID, "attempt", attempt, "retry_in", wait, "err", err)
	if !sleep(ctx, wait) {
		return false
	}
	return true
}

// applyAlone runs one delivery in its own inbox transaction.
func (s *Service) applyAlone(ctx context.Context, d *delivery, h runtime.EventHandler, m runtime.Meta) error {
	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	dup, err := s.apply(ctx, tx, d, h, m)
	if err != nil {
		if rbErr := tx.Rollback(); rbErr != nil {
			s.log.Error("roll back inbox transaction", "id", m.ID, "err", rbErr)
		}
		return err
	}
	if s.hooks.beforeCommit != nil {
		s.hooks.beforeCommit(tx, m)
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	d.duplicate = dup
	s.releaseHeld(ctx, d)
	return nil
}

// requeue puts d back on the queue at once, for an event the dead-letter
// queue could not take.
func (s *Service) requeue(d *delivery) {
	if err := d.Nack(true); err != nil {
		s.log.Warn("requeue failed; the broker requeues unacked events when the channel closes", "id", d.msg.UUID, "err", err)
	}
}

// deadLetter moves d to the dead-letter queue with the reason, then acks
// it. If the dead-letter queue cannot take it, d goes back on the queue:
// an event is never dropped.
func (s *Service) deadLetter(d *delivery, m runtime.Meta, cause error, attempts int) {
	span := s.tracer.startDeadLetter(d, m, cause, attempts)
	defer span.End()
	if err := s.copyToDeadLetters(d, cause, attempts); err != nil {
		span.RecordError(err)
		s.log.Error("dead-lettering failed, requeueing", "id", d.msg.UUID, "err", err)
		s.requeue(d)
		return
	}
	s.log.Error("event dead-lettered", "type", m.Type, "id", d.msg.UUID, "attempts", attempts, "reason", cause)
	s.inc(s.metrics.deadLettered, m)
	if s.hooks.deadLettered != nil {
		s.hooks.deadLettered(m, cause)
	}
	if err := d.Ack(); err != nil {
		s.log.Warn("ack after dead-lettering failed; the event may be dead-lettered twice", "id", d.msg.UUID, "err", err)
	}
}

// copyToDeadLetters publishes a copy of d, with the reason, the attempts
// and its original routing in x-evgen-* headers, to the service's
// dead-letter queue and waits for the broker's confirm. It does not settle
// d: live delivery and sync settle it differently.
func (s *Service) copyToDeadLetters(d *delivery, cause error, attempts int) error {
	headers := map[string]string{
		HeaderDLQError:      cause.Error(),
		HeaderDLQAttempts:   strconv.Itoa(attempts),
		HeaderDLQExchange:   d.Exchange(),
		HeaderDLQRoutingKey: d.RoutingKey(),
		HeaderDLQTime:       time.Now().UTC().Format(time.RFC3339Nano),
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.PublishTimeout)
	defer cancel()
	return d.DeadLetter(ctx, headers)
}
