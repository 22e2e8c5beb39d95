package service

import "context"

// Ordered mode. A replica handles deliveries one after another in queue
// order. One inbox transaction per event costs a commit (an fsync on
// PostgreSQL) per event, so the deliveries already waiting, up to
// orderedBatch, are handled in order inside one transaction, each behind a
// savepoint. When event k fails, the events before it commit and are
// acked, and k goes through the retry policy alone before event k+1 is
// started: a failing event never lets a later one be applied first.

// orderedBatch is the most events an ordered replica applies in one
// transaction. Each event's savepoint is a PostgreSQL subtransaction; past
// 64 in one transaction (PGPROC_MAX_CACHED_SUBXIDS) the server's snapshots
// fall back to pg_subtrans lookups that slow every session down, and
// larger batches would save little more.
const orderedBatch = 64

// workInOrder takes whatever deliveries are waiting, up to orderedBatch,
// and handles them in order.
func (s *Service) workInOrder(ctx context.Context, in <-chan *delivery) {
	batch := make([]*delivery, 0, orderedBatch)
	for d := range in {
		batch = take(in, append(batch[:0], d), orderedBatch)
		s.handleInOrder(ctx, batch)
	}
}

// handleInOrder applies batch in queue order: the leading events in one
// transaction until one fails or cannot be routed, which is then handled
// alone (retried, or dead-lettered) before the rest. After shutdown, what
// was not started is left unacked: it goes back to the queue when the
// consumer closes its channel, all at once and in queue order. A nack now
// would put it back while the consumer may not be cancelled yet, and a
// quorum queue would hand it straight back to this consumer under a new
// delivery tag, so that the channel's close returns it behind the events
// after it: measured out of order (TestOrderedShutdownMidBatchAppliesEachOnce).
func (s *Service) handleInOrder(ctx context.Context, batch []*delivery) {
	for len(batch) > 0 {
		if ctx.Err() != nil {
			return
		}
		items := s.routable(batch)
		if len(items) < 2 {
			s.handle(ctx, batch[0])
			batch = batch[1:]
			continue
		}
		n, failed := s.applyInOrder(ctx, items)
		batch = batch[n:]
		if failed != nil {
			s.retryAlone(ctx, *failed)
			batch = batch[1:]
		}
	}
}

// routable routes the leading deliveries of batch, up to the first that
// cannot be routed or whose channel is gone; handle deals with that one.
func (s *Service) routable(batch []*delivery) []batchItem {
	items := make([]batchItem, 0, len(batch))
	for _, d := range batch {
		if d.gone() {
			break
		}
		h, m, err := s.route(d)
		if err != nil {
			break
		}
		items = append(items, batchItem{d, h, m})
	}
	return items
}

// applyInOrder applies items in one transaction until one fails, commits
// and acks those before it, and returns how many it acked and the failed
// one. A failure of the transaction itself is reported as the first
// event's, which is then handled alone: held while the store is away (see
// afterFailure), so nothing behind it goes first.
func (s *Service) applyInOrder(ctx context.Context, items []batchItem) (int, *failedItem) {
	work := s.workCtx
	n, failure, err := s.commitUntilFailure(work, items)
	if err != nil {
		return 0, &failedItem{items[0], err}
	}
	s.ackInOrder(work, items[:n])
	if failure != nil {
		return n, &failedItem{items[n], failure}
	}
	return n, nil
}

// commitUntilFailure runs applyUntilFailure in a transaction of its own
// and commits what it applied.
func (s *Service) commitUntilFailure(ctx context.Context, items []batchItem) (n int, failure, err error) {
	tx, err := s.begin(ctx)
	if err != nil {
		return 0, nil, err
	}
	n, failure, err = s.applyUntilFailure(ctx, tx, items)
	if err != nil || n == 0 {
		return 0, failure, s.abandon(tx, err)
	}
	if s.hooks.beforeCommit != nil {
		s.hooks.beforeCommit(tx, items[n-1].m)
	}
	if err := tx.Commit(); err != nil {
		return 0, nil, err
	}
	return n, failure, nil
}

// ackInOrder settles the committed events of an ordered batch, with one
// multiple-ack for all where the transport has it. The events come from
// one channel: a delivery of an older, lost one is gone before the first of
// the new one arrives, and routable stops at it.
func (s *Service) ackInOrder(ctx context.Context, applied []batchItem) {
	if len(applied) == 0 {
		return
	}
	through := applied[len(applied)-1].d.ackThrough
	if through == nil {
		s.ackAll(ctx, applied)
		return
	}
	for i, it := range applied {
		s.releaseHeld(ctx, it.d)
		if i == len(applied)-1 {
			s.settle(it.d, it.m, through)
		} else {
			s.settle(it.d, it.m, nil)
		}
	}
}
