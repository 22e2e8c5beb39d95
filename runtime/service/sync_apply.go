package service

import (
	"context"
	"fmt"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/store"
)

// syncOutcome is what became of one event read from the log.
type syncOutcome int

const (
	outcomeApplied syncOutcome = iota
	outcomeDuplicate
	outcomeSkipped
	outcomeDeadLettered
)

// apply handles one consumed event from the log as the live path does:
// claim, handler and log position in one inbox transaction, retried with
// the service's policy, then dead-lettered. It acks the log message (which
// on a stream only grants credit) once the event is settled. An error
// stops the sync: the event was neither applied nor dead-lettered.
func (sy *syncRun) apply(ctx context.Context, d *delivery, h runtime.EventHandler, off int64) (syncOutcome, error) {
	s := sy.s
	_, m, err := s.route(d)
	if err != nil {
		return sy.deadLetter(ctx, d, m, err, 0, off)
	}
	work := context.WithoutCancel(ctx)
	for attempt := 1; ; attempt++ {
		m.Attempt = attempt
		err := sy.applyOnce(work, d, h, m, off)
		if err == nil {
			s.ack(d, m)
			if d.duplicate || d.superseded != nil {
				return outcomeDuplicate, nil
			}
			return outcomeApplied, nil
		}
		if runtime.IsPermanent(err) || attempt >= s.cfg.Retry.MaxAttempts {
			return sy.deadLetter(ctx, d, m, err, attempt, off)
		}
		s.inc(s.metrics.retried, m)
		wait := s.cfg.Retry.delay(attempt)
		s.log.Warn("handler failed during sync, retrying", "type", m.Type, "id", m.ID, "offset", off, "attempt", attempt, "retry_in", wait, "err", err)
		if !sleep(ctx, wait) {
			return 0, sy.interrupted(ctx.Err())
		}
	}
}

// applyOnce runs one attempt in its own inbox transaction, the log
// position included.
func (sy *syncRun) applyOnce(ctx context.Context, d *delivery, h runtime.EventHandler, m runtime.Meta, off int64) error {
	s := sy.s
	tx, err := s.cfg.Store.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin inbox transaction: %w", err)
	}
	dup, err := sy.applyIn(ctx, tx, d, h, m, off)
	if err != nil {
		if rbErr := tx.Rollback(); rbErr != nil {
			s.log.Error("roll back inbox transaction", "id", m.ID, "err", rbErr)
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit inbox transaction: %w", err)
	}
	d.duplicate = dup
	s.releaseHeld(ctx, d)
	return nil
}

func (sy *syncRun) applyIn(ctx context.Context, tx store.InboxTx, d *delivery, h runtime.EventHandler, m runtime.Meta, off int64) (bool, error) {
	if pt, ok := tx.(store.LogPositionTx); ok {
		if err := pt.SetLogPosition(ctx, sy.s.cfg.Contract.Service, sy.log, off); err != nil {
			return false, err
		}
	}
	return sy.s.apply(ctx, tx, d, h, m)
}

// deadLetter copies d, at offset off, into the service's dead-letter
// queue with the same headers the live path sets, then records off as the
// position, so a sync interrupted after it does not dead-letter it again.
// Unlike the live path it cannot requeue on failure (a stream takes no
// nack), so a failure stops the sync, which resumes at this event when run
// again (a failure to record the position after the copy leaves the event
// in the dead-letter queue twice: redriving both applies it once).
func (sy *syncRun) deadLetter(ctx context.Context, d *delivery, m runtime.Meta, cause error, attempts int, off int64) (syncOutcome, error) {
	s := sy.s
	if err := s.copyToDeadLetters(d, cause, attempts); err != nil {
		return 0, fmt.Errorf("dead-letter event %s: %w", d.msg.UUID, err)
	}
	s.log.Error("event dead-lettered during sync", "type", m.Type, "id", d.msg.UUID, "attempts", attempts, "reason", cause)
	s.inc(s.metrics.deadLettered, m)
	if err := sy.commitPosition(context.WithoutCancel(ctx), off); err != nil {
		return 0, fmt.Errorf("record position %d after dead-lettering event %s: %w", off, d.msg.UUID, err)
	}
	return outcomeDeadLettered, d.Ack()
}
