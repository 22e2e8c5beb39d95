package service

import (
	"context"
	"errors"
	"fmt"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/store"
	"runtime/debug"
	"strconv"
	"time"
)

// errUnknownEvent is the reason for dead-lettering an event type the
// service has no handler for.
// Headers the consumer adds to an event it dead-letters.
const (
	HeaderDLQError      = "x-evgen-error"
	HeaderDLQAttempts   = "x-evgen-attempts"
	HeaderDLQExchange   = "x-evgen-original-exchange"
	HeaderDLQRoutingKey = "x-evgen-original-routing-key"
	HeaderDLQTime       = "x-evgen-dead-lettered-at"
)

var errUnknownEvent = errors.New("no handler for this event type and version")

// work handles deliveries until in is closed. ctx ending means shutdown:
// the delivery or batch in flight is finished with s.workCtx, which is not
// cancelled then (so its commit and ack go through), a retry wait is cut short
// and puts the event back on the queue, and deliveries not yet started go
// back too.
func (s *Service) work(ctx context.Context, in <-chan *delivery, done chan<- struct{}) {
	defer close(done)
	if s.cfg.Concurrency > 1 {
		s.workBatches(ctx, in)
	} else {
		s.workInOrder(ctx, in)
	}
}

// route finds the handler and metadata of d; an error is permanent.
func (s *Service) route(d *delivery) (runtime.EventHandler, runtime.Meta, error) {
	m, err := metaFromMessage(d.msg, 1)
	if err != nil {
		return runtime.EventHandler{}, m, runtime.Permanent(err)
	}
	// Under the lock: a Sync started before Run routes while Register may
	// still add handlers.
	s.mu.Lock()
	h, ok := s.handlers[runtime.RoutingKey(m.Type, m.Version)]
	s.mu.Unlock()
	if !ok {
		return h, m, runtime.Permanent(fmt.Errorf("%s v%d: %w", m.Type, m.Version, errUnknownEvent))
	}
	return h, m, nil
}

// handle applies d alone, retrying with backoff until the retry policy
// gives up, then dead-letters it.
func (s *Service) handle(ctx context.Context, d *delivery) {
	if d.gone() {
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
			s.ack(it.d, it.m)
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

// releaseHeld hands the events a handler published through the memory
// store's outbox to it, now that the inbox committed.
func (s *Service) releaseHeld(ctx context.Context, d *delivery) {
	if d.scope == nil || len(d.scope.pending) == 0 {
		return
	}
	if err := s.cfg.Store.Publisher(nil).Publish(ctx, d.scope.pending...); err != nil {
		s.log.Error("queue events published by a handler", "id", d.msg.UUID, "err", err)
	}
	d.scope.pending = nil
}

// apply claims the event in tx and, unless it was applied before, runs the
// handler in tx. It reports whether the event was a duplicate. The scope
// of an earlier, rolled-back attempt is dropped first: a duplicate must not
// release the events that attempt held.
func (s *Service) apply(ctx context.Context, tx store.InboxTx, d *delivery, h runtime.EventHandler, m runtime.Meta) (bool, error) {
	d.scope = nil
	claimed, err := tx.Claim(ctx, s.cfg.Contract.Service, refOf(m))
	if err != nil {
		return false, err
	}
	if !claimed {
		return true, nil
	}
	return false, s.call(ctx, tx, d, h, m)
}

// call runs the handler; a panic is a failure of this attempt, not a crash.
func (s *Service) call(ctx context.Context, tx store.InboxTx, d *delivery, h runtime.EventHandler, m runtime.Meta) (err error) {
	start := time.Now()
	defer func() {
		s.observeHandler(m, start)
		if r := recover(); r != nil {
			err = fmt.Errorf("handler panicked: %v\n%s", r, debug.Stack())
		}
	}()
	d.scope = &scope{meta: m, tx: tx, outbox: s.cfg.Store, reactions: s.reactions}
	s.inFlight.add(d, m)
	defer s.inFlight.remove(d)
	return h.Handle(withScope(ctx, d.scope), d.msg.Payload, m)
}

// ack removes a handled (or duplicate) event from the queue. A failed ack
// is only logged: the broker redelivers and the inbox skips the duplicate.
func (s *Service) ack(d *delivery, m runtime.Meta) { s.settle(d, m, d.ack) }

// settle counts d as consumed (or a duplicate) and calls ack, unless nil:
// a later multiple-ack covers d.
func (s *Service) settle(d *delivery, m runtime.Meta, ack func() error) {
	if s.hooks.beforeAck != nil {
		s.hooks.beforeAck(m)
	}
	if d.duplicate {
		s.inc(s.metrics.duplicates, m)
	} else {
		s.inc(s.metrics.consumed, m)
	}
	if ack == nil {
		return
	}
	if err := ack(); err != nil {
		s.log.Warn("ack failed; the event will be redelivered and skipped by the inbox", "id", m.ID, "err", err)
	}
}

// requeue puts d back on the queue at once, for an event the dead-letter
// queue could not take.
func (s *Service) requeue(d *delivery) {
	if err := d.nack(true); err != nil {
		s.log.Warn("requeue failed; the broker requeues unacked events when the channel closes", "id", d.msg.UUID, "err", err)
	}
}

// deadLetter moves d to the dead-letter queue with the reason, then acks
// it. If the dead-letter queue cannot take it, d goes back on the queue:
// an event is never dropped.
func (s *Service) deadLetter(d *delivery, m runtime.Meta, cause error, attempts int) {
	if err := s.copyToDeadLetters(d, cause, attempts); err != nil {
		s.log.Error("dead-lettering failed, requeueing", "id", d.msg.UUID, "err", err)
		s.requeue(d)
		return
	}
	s.log.Error("event dead-lettered", "type", m.Type, "id", d.msg.UUID, "attempts", attempts, "reason", cause)
	s.inc(s.metrics.deadLettered, m)
	if err := d.ack(); err != nil {
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
		HeaderDLQExchange:   d.exchange,
		HeaderDLQRoutingKey: d.routingKey,
		HeaderDLQTime:       time.Now().UTC().Format(time.RFC3339Nano),
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.PublishTimeout)
	defer cancel()
	return d.deadLetter(ctx, headers)
}
