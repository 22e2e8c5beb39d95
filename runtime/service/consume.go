package service

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/store"
	"github.com/evgenhq/evgen/runtime/transport"
)

// One delivery's path, in the order it happens: the transport hands it
// over (runtime/transport/amqp/consume.go: Consume, pump, delivery),
// consume starts the worker, work picks the mode, the ordered worker takes
// what waits, routes it to its handler (admit.go checks it), applies it in
// one inbox transaction (runtime/on.go decodes and calls the typed
// handler), commits, and acks it through the Delivery's Ack method (back
// in runtime/transport/amqp/consume.go: delivery.Ack, AckThrough). Concurrent mode's batches are in batch.go;
// retrying one delivery alone and dead-lettering it in
// retry_deadletter.go.

// consume runs the worker on what the transport delivers until ctx ends
// or the transport gives up, and drains it within ShutdownTimeout.
func (s *Service) consume(ctx context.Context) error {
	var abandon context.CancelFunc
	s.workCtx, abandon = context.WithCancel(context.WithoutCancel(ctx))
	defer abandon()
	out := make(chan transport.Delivery, s.cfg.Prefetch)
	workerDone := make(chan struct{})
	go s.work(ctx, out, workerDone)
	d := &drainer{s: s, workerDone: workerDone, abandon: abandon}
	err := s.transport.Consume(ctx, out, d.drain, s.becameReady)
	if err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		err = nil // the shutdown asked for
	}
	return errors.Join(err, d.late)
}

// work handles deliveries until in is closed. ctx ending means shutdown:
// the delivery or batch in flight is finished with s.workCtx, which is not
// cancelled then (so its commit and ack go through), a retry wait is cut short
// and puts the event back on the queue, and deliveries not yet started go
// back too.
func (s *Service) work(ctx context.Context, in <-chan transport.Delivery, done chan<- struct{}) {
	defer close(done)
	if s.cfg.Concurrency > 1 {
		s.workBatches(ctx, in)
	} else {
		s.workInOrder(ctx, in)
	}
}

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
func (s *Service) workInOrder(ctx context.Context, in <-chan transport.Delivery) {
	batch := make([]*delivery, 0, orderedBatch)
	for d := range in {
		batch = take(in, append(batch[:0], newDelivery(d)), orderedBatch)
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
		if d.Stale() {
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

// route finds the handler and metadata of d, once admit has checked it;
// an error is permanent.
func (s *Service) route(d *delivery) (runtime.EventHandler, runtime.Meta, error) {
	m, err := s.admit(d)
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

// batchItem is one delivery of a batch with its route.
type batchItem struct {
	d *delivery
	h runtime.EventHandler
	m runtime.Meta
}

// failedItem is an event of a batch whose handler failed.
type failedItem struct {
	batchItem
	err error
}

// applyUntilFailure applies items one after another in tx, each behind a
// savepoint, until one fails: that one's writes and claim are rolled back
// to its savepoint and the events before it stay. It returns how many were
// applied and the failure of the next one, if any; err means tx itself
// failed and must be abandoned.
func (s *Service) applyUntilFailure(ctx context.Context, tx store.InboxTx, items []batchItem) (n int, failure, err error) {
	for i, it := range items {
		sp := "evgen_" + strconv.Itoa(i)
		if err := tx.Savepoint(ctx, sp); err != nil {
			return i, nil, err
		}
		dup, herr := s.apply(ctx, tx, it.d, it.h, it.m)
		if herr != nil {
			if err := tx.RollbackTo(ctx, sp); err != nil {
				return i, nil, err
			}
			return i, herr, nil
		}
		it.d.duplicate = dup
	}
	return len(items), nil, nil
}

// apply claims the event in tx and, unless it was applied before or is
// stale (order.go), runs the handler in tx. It reports whether the event
// was a duplicate. The scope of an earlier, rolled-back attempt is dropped
// first: a duplicate must not release the events that attempt held.
func (s *Service) apply(ctx context.Context, tx store.InboxTx, d *delivery, h runtime.EventHandler, m runtime.Meta) (bool, error) {
	d.scope, d.superseded = nil, nil
	claimed, err := tx.Claim(ctx, s.cfg.Contract.Service, refOf(m))
	if err != nil {
		return false, err
	}
	return !claimed, s.process(ctx, tx, d, h, m, claimed)
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
	d.scope = &scope{meta: m, tx: tx, outbox: s.cfg.Store, reactions: s.reactions, maxEventBytes: s.cfg.MaxEventBytes}
	s.inFlight.add(d, m)
	defer s.inFlight.remove(d)
	return h.Handle(withScope(ctx, d.scope), d.msg.Payload, m)
}

// abandon rolls tx back after err, logging a rollback failure.
func (s *Service) abandon(tx store.InboxTx, err error) error {
	if rbErr := tx.Rollback(); rbErr != nil {
		s.log.Error("roll back batch transaction", "err", rbErr)
	}
	return err
}

// ackInOrder settles the committed events of an ordered batch, with one
// multiple-ack for all where the transport has it. The events come from
// one channel: a delivery of an older, lost one is gone before the first of
// the new one arrives, and routable stops at it.
func (s *Service) ackInOrder(ctx context.Context, applied []batchItem) {
	if len(applied) == 0 {
		return
	}
	last, ok := applied[len(applied)-1].d.Delivery.(AckThrougher)
	if !ok {
		s.ackAll(ctx, applied)
		return
	}
	defer s.tracer.startSettle(applied).End()
	through := last.AckThrough
	for i, it := range applied {
		s.releaseHeld(ctx, it.d)
		if i == len(applied)-1 {
			s.settle(it.d, it.m, through)
		} else {
			s.settle(it.d, it.m, nil)
		}
	}
}

// settle counts d as consumed (or a duplicate, or stale) and calls ack,
// unless nil: a later multiple-ack covers d.
func (s *Service) settle(d *delivery, m runtime.Meta, ack func() error) {
	if s.hooks.beforeAck != nil {
		s.hooks.beforeAck(m)
	}
	switch {
	case d.duplicate:
		s.inc(s.metrics.duplicates, m)
	case d.superseded != nil:
		s.inc(s.metrics.stale, m)
		s.logStale(d, m)
	default:
		s.inc(s.metrics.consumed, m)
	}
	if ack == nil {
		return
	}
	if err := ack(); err != nil {
		s.log.Warn("ack failed; the event will be redelivered and skipped by the inbox", "id", m.ID, "err", err)
	}
}

// ack removes a handled (or duplicate) event from the queue. A failed ack
// is only logged: the broker redelivers and the inbox skips the duplicate.
func (s *Service) ack(d *delivery, m runtime.Meta) { s.settle(d, m, d.Ack) }

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
