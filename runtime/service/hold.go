package service

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/evgenhq/evgen/runtime/store"
)

// Holding a delivery through a store outage. A failure classify puts on
// the store does not use up an attempt: the delivery is tried again, the
// same attempt, after a wait that grows over the outage (Config.Connect's
// backoff), until the database answers or the service stops; in ordered
// mode everything behind it waits too, since the worker handles one event
// at a time. At shutdown the held delivery goes back to the queue. An
// outage is logged once at ERROR when it starts and once when it ends, and
// shows as evgen_store_unavailable 1 meanwhile.

// pingTimeout bounds the ping that tells a handler's connection error
// from a database that is away.
const pingTimeout = 5 * time.Second

// outage is a service's current store outage, shared by its workers.
type outage struct {
	active atomic.Bool // read on every commit, without the lock
	mu     sync.Mutex
	since  time.Time
	cause  error
	waits  int
}

// afterFailure decides what follows a failed attempt of it and returns
// the attempt to make next: the same one when the store failed (after a
// hold), the next one when the handler did (after the retry policy's
// backoff), or 0 once the delivery was dead-lettered or put back on the
// queue.
func (s *Service) afterFailure(ctx context.Context, it batchItem, attempt int, err error) int {
	if s.storeDown(err) {
		if !s.hold(ctx, it, err) {
			s.requeue(it.d)
			return 0
		}
		return attempt
	}
	s.storeAnswered() // the handler ran: the store had begun and claimed
	if !s.backOff(ctx, it, attempt, err) {
		return 0
	}
	return attempt + 1
}

// storeDown reports whether err is the store's failure rather than the
// handler's.
func (s *Service) storeDown(err error) bool {
	driver, _ := s.cfg.Store.(store.ConnectionErrors)
	switch classify(err, driver) {
	case storeFault:
		return true
	case connectionFault:
		return !s.storeAnswers()
	}
	return false
}

// storeAnswers pings the store's database. The memory store has none to
// lose, so a connection error there is the handler's.
func (s *Service) storeAnswers() bool {
	db := s.cfg.Store.DB()
	if db == nil {
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), pingTimeout)
	defer cancel()
	return db.PingContext(ctx) == nil
}

// hold waits before it is tried again. It reports false when shutdown cut
// the wait short or the delivery's channel is gone (the broker redelivers
// it then).
func (s *Service) hold(ctx context.Context, it batchItem, cause error) bool {
	if ctx.Err() != nil {
		// Shutdown: the failure may be the cancelled work context itself,
		// not an outage to report.
		return false
	}
	n := s.storeOutage(cause)
	s.metrics.storeWaits.WithLabelValues(s.cfg.Contract.Service).Inc()
	wait := s.cfg.Connect.delay(n)
	s.log.Debug("store unavailable, holding the event", "type", it.m.Type, "id", it.m.ID, "retry_in", wait, "err", cause)
	return sleep(ctx, wait) && !it.d.Stale()
}

// storeOutage records one more wait of the current outage, starting it if
// needed, and returns how many waits it has had.
func (s *Service) storeOutage(cause error) int {
	o := &s.outage
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.active.Load() {
		o.since, o.cause, o.waits = time.Now(), cause, 0
		o.active.Store(true)
		s.metrics.storeUnavailable.WithLabelValues(s.cfg.Contract.Service).Set(1)
		s.log.Error("store unavailable: consumption paused, events are held (not retried as attempts, not dead-lettered) until the database answers", "err", cause)
	}
	o.waits++
	return o.waits
}

// storeAnswered ends the current outage, if any.
func (s *Service) storeAnswered() {
	o := &s.outage
	if !o.active.Load() {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.active.Load() {
		return
	}
	o.active.Store(false)
	s.metrics.storeUnavailable.WithLabelValues(s.cfg.Contract.Service).Set(0)
	s.log.Warn("store answers again: consumption resumed", "paused_for", time.Since(o.since).Round(time.Millisecond), "waits", o.waits, "first_err", o.cause)
}
