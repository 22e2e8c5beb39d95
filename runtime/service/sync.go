package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/store"
	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"
)

// ErrNoEventLog is returned by Sync when the producer keeps no event log:
// the transport is the in-process one, or the producer never declared its
// log (it has not run with a runtime that does, or Config.EventLog.Disabled).
var ErrNoEventLog = errors.New("no event log to sync from")

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
// correct either way. It needs the AMQP transport; the in-process one has
// no log (ErrNoEventLog).
func (s *Service) Sync(ctx context.Context, producer string, from runtime.SyncFrom, opts runtime.SyncOptions) (runtime.SyncProgress, error) {
	syncDefaults(&opts)
	sy, err := s.newSync(producer, from, opts)
	if err != nil {
		return runtime.SyncProgress{}, fmt.Errorf("runtime: service %s: sync from %s: %w", s.cfg.Contract.Service, producer, err)
	}
	p, err := sy.run(ctx)
	if err != nil {
		return p, fmt.Errorf("runtime: service %s: sync from %s: %w", s.cfg.Contract.Service, producer, err)
	}
	return p, nil
}

// syncRun is one Sync call.
type syncRun struct {
	s        *Service
	b        *amqpBinding
	producer string
	log      string
	from     runtime.SyncFrom
	opts     runtime.SyncOptions
	handlers map[string]runtime.EventHandler
	id       string // the marker's sync ID
	progress *syncTracker
}

func (s *Service) newSync(producer string, from runtime.SyncFrom, opts runtime.SyncOptions) (*syncRun, error) {
	b, ok := s.transport.(*amqpBinding)
	if !ok {
		return nil, fmt.Errorf("%w: only the AMQP transport keeps one (a RabbitMQ stream), this transport keeps none; use service.AMQP", ErrNoEventLog)
	}
	handlers, err := s.handlersOf(producer)
	if err != nil {
		return nil, err
	}
	sy := &syncRun{
		s: s, b: b, producer: producer, log: b.env.names.eventLog(producer),
		from: from, opts: opts, handlers: handlers, id: uuid.NewString(),
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

// run prepares the sync and reads the log to its marker.
func (sy *syncRun) run(ctx context.Context) (runtime.SyncProgress, error) {
	if err := sy.s.cfg.Store.Migrate(ctx); err != nil {
		return runtime.SyncProgress{}, fmt.Errorf("migrate store: %w", err)
	}
	conn, err := sy.b.dial(ctx, "sync")
	if err != nil {
		return runtime.SyncProgress{}, err
	}
	defer conn.Close()
	if err := sy.prepare(ctx, conn); err != nil {
		return runtime.SyncProgress{}, err
	}
	start, err := sy.start(ctx)
	if err != nil {
		return runtime.SyncProgress{}, err
	}
	sentAt := time.Now()
	if err := sy.sendMarker(ctx); err != nil {
		return runtime.SyncProgress{}, err
	}
	if tail, ok := markerOffset(ctx, conn, sy.log, sy.id, sentAt, 5*time.Second); ok {
		sy.progress.setTail(tail)
	}
	r, err := openLog(conn, sy.log, streamArg(start), sy.opts.Prefetch)
	if err != nil {
		return runtime.SyncProgress{}, err
	}
	defer r.close()
	sy.s.log.Info("sync started", "producer", sy.producer, "log", sy.log, "from", start.String(), "sync_id", sy.id)
	err = sy.read(ctx, r, minOffset(start))
	return sy.progress.finish(err), err
}

// prepare declares the service's topology (so the live queue keeps new
// events from now on) and checks that the log exists.
func (sy *syncRun) prepare(ctx context.Context, conn *amqp.Connection) error {
	ch, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("open channel: %w", err)
	}
	defer ch.Close()
	if err := declare(ch, sy.b.env.plan); err != nil {
		return err
	}
	return checkLog(conn, sy.log, sy.producer)
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

// sendMarker publishes this sync's marker into the log alone (the
// default exchange routes it to the queue of that name), with confirms;
// an unroutable marker means the log is gone.
func (sy *syncRun) sendMarker(ctx context.Context) error {
	out := outgoing{exchange: "", key: sy.log, pub: markerPublishing(sy.id)}
	err := sy.b.pub.send(ctx, []outgoing{out})
	if errors.Is(err, ErrUnroutable) {
		return fmt.Errorf("%w: event log %s does not exist", ErrNoEventLog, sy.log)
	}
	if err != nil {
		return fmt.Errorf("publish sync marker: %w", err)
	}
	return nil
}

// read applies the log's events until this sync's marker.
func (sy *syncRun) read(ctx context.Context, r *logReader, minOffset int64) error {
	ticker := time.NewTicker(sy.opts.ProgressEvery)
	defer ticker.Stop()
	for {
		select {
		case <-ticker.C:
			sy.progress.report(false)
		default:
		}
		d, err := r.next(ctx)
		if err != nil {
			return sy.interrupted(err)
		}
		off, ok := streamOffset(d)
		if !ok {
			return fmt.Errorf("message %s from event log %s has no %s header", d.MessageId, sy.log, headerStreamOffset)
		}
		if off < minOffset {
			_ = d.Ack(false)
			continue
		}
		done, err := sy.take(ctx, r, d, off)
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

// take handles one message of the log; done is true at this sync's marker.
func (sy *syncRun) take(ctx context.Context, r *logReader, d amqp.Delivery, off int64) (done bool, err error) {
	sy.progress.read(off)
	if id, ok := syncMarker(d); ok {
		if id != sy.id {
			return false, d.Ack(false)
		}
		return true, sy.commitPosition(ctx, off)
	}
	h, ok := sy.handlers[d.RoutingKey]
	if !ok {
		sy.progress.count(outcomeSkipped)
		return false, d.Ack(false)
	}
	outcome, err := sy.apply(ctx, sy.wrap(r, d), h, off)
	if err != nil {
		return false, err
	}
	sy.progress.count(outcome)
	return false, nil
}

// commitPosition stores off as the position in a transaction of its own:
// the marker's offset, so a later sync does not read again the events this
// one skipped, or a dead-lettered event's, so it is not dead-lettered again.
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

// streamArg is the x-stream-offset consume argument for f.
func streamArg(f runtime.SyncFrom) any {
	if t, ok := f.Time(); ok {
		return t
	}
	if off, ok := f.Offset(); ok {
		return off
	}
	return "first"
}

// minOffset is the lowest offset f asks for: RabbitMQ starts a consumer at
// the chunk holding the offset, so a reader skips what comes before it.
func minOffset(f runtime.SyncFrom) int64 {
	off, _ := f.Offset()
	return off
}
