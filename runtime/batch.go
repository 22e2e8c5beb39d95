package runtime

import (
	"context"
	"strconv"
)

// Concurrent mode. One inbox transaction per event costs a commit (an fsync
// on PostgreSQL) per event; taking the deliveries already waiting, up to
// Concurrency, into one transaction with a savepoint per event shares that
// commit, while a failing handler still rolls back only its own writes and
// claim. Events in a batch are handled in queue order; a failed one is
// retried alone after the batch committed, so it can land after events
// queued behind it.

// batchItem is one delivery of a batch with its route.
type batchItem struct {
	d *delivery
	h EventHandler
	m Meta
}

// workBatches takes whatever deliveries are waiting, up to Concurrency,
// and applies them in one transaction.
func (s *Service) workBatches(ctx context.Context, in <-chan *delivery) {
	batch := make([]*delivery, 0, s.cfg.Concurrency)
	for d := range in {
		if ctx.Err() != nil {
			s.requeue(d)
			continue
		}
		batch = append(batch[:0], d)
	fill:
		for len(batch) < s.cfg.Concurrency {
			select {
			case d, ok := <-in:
				if !ok {
					break fill
				}
				batch = append(batch, d)
			default:
				break fill
			}
		}
		s.handleBatch(ctx, batch)
	}
}

// handleBatch applies batch in one transaction. Events that cannot be
// routed are dead-lettered first; failed events are retried alone; if the
// transaction itself fails, every event is handled alone.
func (s *Service) handleBatch(ctx context.Context, batch []*delivery) {
	items := make([]batchItem, 0, len(batch))
	for _, d := range batch {
		if d.gone() {
			continue
		}
		h, m, err := s.route(d)
		if err != nil {
			s.deadLetter(d, m, err, 0)
			continue
		}
		items = append(items, batchItem{d, h, m})
	}
	if len(items) == 0 {
		return
	}
	work := context.WithoutCancel(ctx)
	applied, failed, err := s.applyBatch(work, items)
	if err != nil {
		s.log.Warn("batch transaction failed, handling its events one by one", "events", len(items), "err", err)
		for _, it := range items {
			s.handle(ctx, it.d, 1)
		}
		return
	}
	for _, it := range applied {
		s.releaseHeld(work, it.d)
		s.ack(it.d, it.m)
	}
	for _, f := range failed {
		if IsPermanent(f.err) || s.cfg.Retry.MaxAttempts <= 1 {
			s.deadLetter(f.d, f.m, f.err, 1)
			continue
		}
		s.inc(s.metrics.retried, f.m)
		s.log.Warn("handler failed in batch, retrying alone", "type", f.m.Type, "id", f.m.ID, "err", f.err)
		s.handle(ctx, f.d, 2)
	}
}

// failedItem is an event of a batch whose handler failed.
type failedItem struct {
	batchItem
	err error
}

// applyBatch runs items in one transaction, each behind a savepoint. An
// error means the transaction as a whole failed and nothing was applied.
func (s *Service) applyBatch(ctx context.Context, items []batchItem) (applied []batchItem, failed []failedItem, err error) {
	tx, err := s.cfg.Store.Begin(ctx)
	if err != nil {
		return nil, nil, err
	}
	for i, it := range items {
		sp := "evgen_" + strconv.Itoa(i)
		if err := tx.Savepoint(ctx, sp); err != nil {
			return nil, nil, s.abandon(tx, err)
		}
		dup, herr := s.apply(ctx, tx, it.d, it.h, it.m)
		if herr != nil {
			if err := tx.RollbackTo(ctx, sp); err != nil {
				return nil, nil, s.abandon(tx, err)
			}
			failed = append(failed, failedItem{it, herr})
			continue
		}
		it.d.duplicate = dup
		applied = append(applied, it)
	}
	if err := tx.Commit(); err != nil {
		return nil, nil, err
	}
	return applied, failed, nil
}

// abandon rolls tx back after err, logging a rollback failure.
func (s *Service) abandon(tx InboxTx, err error) error {
	if rbErr := tx.Rollback(); rbErr != nil {
		s.log.Error("roll back batch transaction", "err", rbErr)
	}
	return err
}
