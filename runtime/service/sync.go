package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/store"
	"github.com/evgenhq/evgen/runtime/transport"
)

// ErrNoEventLog is wrapped in Sync's error when there is no event log
// to read: the transport keeps none (the in-process one), or the producer
// never declared its log (it has not run with a runtime that does, or
// Config.EventLog.Disabled). It is transport.ErrNoEventLog.
var ErrNoEventLog = transport.ErrNoEventLog

// syncDefaults fills in what opts leaves zero.
func syncDefaults(o *runtime.SyncOptions) {
	if o.ProgressEvery <= 0 {
		o.ProgressEvery = time.Second
	}
	if o.Prefetch <= 0 {
		o.Prefetch = 256
	}
}

// Sync reads producer's event log through the service's registered
// handlers and inbox, exactly as if the events were delivered live, and
// returns once it has read every event the log held when it started.
//
// It first declares the service's topology, so its live queue exists and
// keeps every new event while the sync runs: nothing is missed between the
// log and the queue, and events found in both are applied once (the inbox
// drops the second copy). Events of types the service does not consume are
// skipped. Each applied event's log offset is committed with its inbox
// record, so a sync that is interrupted (a crash, ctx cancelled) resumes
// after the last committed event when called again; from is used only when
// the service has no position in the log (or opts.Restart is set).
//
// Sync may run before Run, which keeps the log's order strictly, or while
// Run is consuming, in which case live events can be applied before older
// ones from the log: handlers that compare per-entity versions stay
// correct either way. It needs a transport that keeps an event log (a
// transport.EventLog: service.AMQP does, in a RabbitMQ stream, and
// jetstream.New's in the producer's JetStream stream); with any other
// it fails with ErrNoEventLog.
func (s *Service) Sync(ctx context.Context, producer string, from runtime.SyncFrom, opts runtime.SyncOptions) (runtime.SyncProgress, error) {
	syncDefaults(&opts)
	sy, err := s.newSync(producer, from, opts)
	if err != nil {
		return runtime.SyncProgress{}, fmt.Errorf("service %s: sync from %s: %w", s.cfg.Contract.Service, producer, err)
	}
	p, err := sy.run(ctx)
	if err != nil {
		return p, fmt.Errorf("service %s: sync from %s: %w", s.cfg.Contract.Service, producer, err)
	}
	return p, nil
}

// syncRun is one Sync call.
type syncRun struct {
	s        *Service
	el       transport.EventLog
	producer string
	log      string // el's name for producer's log: the stored position's key
	from     runtime.SyncFrom
	opts     runtime.SyncOptions
	handlers map[string]runtime.EventHandler
	progress *syncTracker
}

func (s *Service) newSync(producer string, from runtime.SyncFrom, opts runtime.SyncOptions) (*syncRun, error) {
	el, ok := s.capabilities().(transport.EventLog)
	if !ok {
		return nil, fmt.Errorf("%w: this transport keeps none (it is no transport.EventLog); service.AMQP keeps one in a RabbitMQ stream, jetstream.New's in a JetStream stream", ErrNoEventLog)
	}
	handlers, err := s.handlersOf(producer)
	if err != nil {
		return nil, err
	}
	sy := &syncRun{
		s: s, el: el, producer: producer, log: el.LogName(producer),
		from: from, opts: opts, handlers: handlers,
	}
	sy.progress = newSyncTracker(s, sy.producer, opts)
	return sy, nil
}

// handlersOf returns the registered handlers of the events the service
// consumes from producer, by routing key; every one must be registered.
func (s *Service) handlersOf(producer string) (map[string]runtime.EventHandler, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	hs := map[string]runtime.EventHandler{}
	var missing []error
	for _, e := range s.cfg.Contract.Consumes {
		if e.Producer != producer {
			continue
		}
		key := runtime.RoutingKey(e.Type, e.Version)
		h, ok := s.handlers[key]
		if !ok {
			missing = append(missing, fmt.Errorf("no handler registered for %s v%d: register handlers before Sync", e.Type, e.Version))
		}
		hs[key] = h
	}
	if len(hs) == 0 {
		return nil, fmt.Errorf("service %s consumes no event of %q: nothing to sync", s.cfg.Contract.Service, producer)
	}
	return hs, errors.Join(missing...)
}

// run opens the log where the sync starts and reads it to its end.
func (sy *syncRun) run(ctx context.Context) (runtime.SyncProgress, error) {
	if err := sy.s.cfg.Store.Migrate(ctx); err != nil {
		return runtime.SyncProgress{}, fmt.Errorf("migrate store: %w", err)
	}
	start, err := sy.start(ctx)
	if err != nil {
		return runtime.SyncProgress{}, err
	}
	r, err := sy.el.OpenLog(ctx, sy.producer, start, sy.opts.Prefetch)
	if err != nil {
		return runtime.SyncProgress{}, err
	}
	defer r.Close()
	if tail, ok := r.Tail(); ok {
		sy.progress.setTail(tail)
	}
	sy.s.log.Info("sync started", "producer", sy.producer, "log", sy.log, "from", start.String())
	err = sy.read(ctx, r)
	return sy.progress.finish(err), err
}

// start is where reading begins: after the stored position, unless there
// is none or the caller restarts.
func (sy *syncRun) start(ctx context.Context) (runtime.SyncFrom, error) {
	ps, ok := sy.s.cfg.Store.(store.LogPositions)
	if !ok {
		sy.s.log.Warn("the store keeps no log positions: an interrupted sync will start over", "producer", sy.producer)
		return sy.from, nil
	}
	if sy.opts.Restart {
		return sy.from, nil
	}
	off, found, err := ps.LogPosition(ctx, sy.s.cfg.Contract.Service, sy.log)
	if err != nil {
		return runtime.SyncFrom{}, err
	}
	if !found {
		return sy.from, nil
	}
	sy.s.log.Info("sync resumes after its stored position", "producer", sy.producer, "position", off)
	return runtime.SyncFromOffset(off + 1), nil
}

// read applies the log's events until its end.
func (sy *syncRun) read(ctx context.Context, r transport.LogReader) error {
	ticker := time.NewTicker(sy.opts.ProgressEvery)
	defer ticker.Stop()
	for {
		select {
		case <-ticker.C:
			sy.progress.report(false)
		default:
		}
		e, err := r.Next(ctx)
		if err != nil {
			return sy.interrupted(err)
		}
		done, err := sy.take(ctx, e)
		if err != nil || done {
			return err
		}
	}
}

// interrupted explains where a sync stopped and how to go on.
func (sy *syncRun) interrupted(err error) error {
	p := sy.progress.snapshot()
	return fmt.Errorf("interrupted after offset %d (%d events read); run the sync again to resume: %w", p.Offset, p.Read, err)
}

// take handles one entry of the log; done is true at its end.
func (sy *syncRun) take(ctx context.Context, e transport.LogEntry) (done bool, err error) {
	sy.progress.read(e.Position)
	if e.Delivery != nil {
		if err := sy.handle(ctx, e.Delivery, e.Position); err != nil {
			return false, err
		}
	}
	if e.End {
		return true, sy.commitPosition(ctx, e.Position)
	}
	return false, nil
}

// handle applies the event d read at off, or skips it when the service
// has no handler for its type.
func (sy *syncRun) handle(ctx context.Context, d transport.Delivery, off int64) error {
	h, ok := sy.handlers[d.RoutingKey()]
	if !ok {
		sy.progress.count(outcomeSkipped)
		return d.Ack()
	}
	outcome, err := sy.apply(ctx, newDelivery(d), h, off)
	if err != nil {
		return err
	}
	sy.progress.count(outcome)
	return nil
}

// commitPosition stores off as the position in a transaction of its own:
// the end's, so a later sync does not read again the events this one
// skipped, or a dead-lettered event's, so it is not dead-lettered again.
func (sy *syncRun) commitPosition(ctx context.Context, off int64) error {
	tx, err := sy.s.cfg.Store.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if pt, ok := tx.(store.LogPositionTx); ok {
		if err := pt.SetLogPosition(ctx, sy.s.cfg.Contract.Service, sy.log, off); err != nil {
			_ = tx.Rollback() // the error that made us roll back is the one to report
			return err
		}
	}
	return tx.Commit()
}
