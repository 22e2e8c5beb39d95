package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/evgenhq/evgen/bench/internal/benchpubevents"
	"github.com/evgenhq/evgen/runtime/store/memory"
	"github.com/evgenhq/evgen/runtime/store/postgres"
)

// publishEvgen times the generated publisher over a running
// service.Service: typed event, validation, CloudEvents headers, confirms
// pipelined by the runtime, and (unless noEventLog) a copy in the
// producer's event log, which the broker writes as well as the queue's.
func publishEvgen(noEventLog bool) func(ctx context.Context, e *env) (result, error) {
	return func(ctx context.Context, e *env) (res result, err error) {
		r, err := e.newEvgenRun(ctx, noEventLog)
		if err != nil {
			return res, err
		}
		defer func() { err = errors.Join(err, r.remove()) }()
		pub, stop, err := r.publisher(ctx, memory.New())
		if err != nil {
			return res, err
		}
		defer func() { err = errors.Join(err, stop()) }()
		// The runtime connects its publisher on the first Publish; the other
		// publishers connect before the clock starts, so this one does too.
		// The event's index is past the timed ones.
		if err := pub.PublishEmailChanged(ctx, benchEvent(e.cfg.Events, e.cfg.Payload, time.Now())); err != nil {
			return res, fmt.Errorf("first publish: %w", err)
		}
		n := e.cfg.Events
		elapsed, err := inParallel(ctx, n, e.cfg.Concurrency, func(ctx context.Context, i int) error {
			return pub.PublishEmailChanged(ctx, benchEvent(i, e.cfg.Payload, time.Now()))
		})
		if err != nil {
			return res, err
		}
		if err := e.awaitDepth(ctx, r.queue, n+1); err != nil {
			return res, fmt.Errorf("after publishing: %w", err)
		}
		return throughput(n, elapsed), nil
	}
}

// publishEvgenOutbox times the outbox path: -concurrency goroutines each
// commit transactions holding one row of their own state and one event
// written through the store's outbox Publisher(tx); the producer service,
// running over that store, relays them to RabbitMQ. The clock stops when
// every event is in the consumer's queue. It also reports the relay's lag,
// from each event's commit to its broker confirm.
func publishEvgenOutbox(kind inboxKind) func(ctx context.Context, e *env) (result, error) {
	return func(ctx context.Context, e *env) (res result, err error) {
		r, err := e.newEvgenRun(ctx, false)
		if err != nil {
			return res, err
		}
		defer func() { err = errors.Join(err, r.remove()) }()
		st, err := e.openConsumerStore(ctx, kind, nil)
		if err != nil {
			return res, err
		}
		defer func() { err = errors.Join(err, st.close()) }()
		lag := newRelayLag()
		direct, stop, err := r.publisher(ctx, lagStore{Store: st.store, lag: lag})
		if err != nil {
			return res, err
		}
		defer func() { err = errors.Join(err, stop()) }()
		if err := direct.PublishEmailChanged(ctx, benchEvent(e.cfg.Events, e.cfg.Payload, time.Now())); err != nil {
			return res, fmt.Errorf("first publish: %w", err)
		}
		n := e.cfg.Events
		start := time.Now()
		writing, err := inParallel(ctx, n, e.cfg.Concurrency, func(ctx context.Context, i int) error {
			return writeWithEvent(ctx, st, benchEvent(i, e.cfg.Payload, time.Now()), lag.committed)
		})
		if err != nil {
			return res, err
		}
		depth, err := e.awaitDepthFor(ctx, r.queue, n+1, time.Minute)
		if err != nil {
			return res, fmt.Errorf("after the relay: %w", err)
		}
		res = throughput(n, time.Since(start))
		if err := lag.awaitConfirms(ctx, 30*time.Second); err != nil {
			return res, fmt.Errorf("relay lag: %w", err)
		}
		if res.P50, res.P99, err = lag.percentiles(); err != nil {
			return res, fmt.Errorf("relay lag: %w", err)
		}
		// The relay may send an event twice after a failure (consumers' inboxes
		// drop the copy); count it rather than fail the run.
		// How fast the writers committed alone says whether they or the
		// relay limit the case.
		res.Extra = map[string]int64{"duplicates": int64(depth - (n + 1)), "writers_per_s": int64(float64(n) / writing.Seconds())}
		return res, nil
	}
}

// writeWithEvent commits one transaction holding ev's state row and ev,
// written through st's outbox, and reports when it committed.
func writeWithEvent(ctx context.Context, st *consumerStore, ev benchpubevents.EmailChanged, committed func(key string, at time.Time)) error {
	tx, err := st.store.DB().BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if _, err := tx.ExecContext(ctx, st.insert, ev.UserID, len(ev.Email)); err != nil {
		return errors.Join(fmt.Errorf("write own state: %w", err), tx.Rollback())
	}
	if err := benchpubevents.NewPublisher(st.store.Publisher(tx)).PublishEmailChanged(ctx, ev); err != nil {
		return errors.Join(fmt.Errorf("write to outbox: %w", err), tx.Rollback())
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	committed(ev.UserID, time.Now())
	return nil
}

// pgStore is a fresh postgres store with tables of its own, migrated.
func (e *env) pgStore(ctx context.Context) (*postgres.Store, error) {
	db, err := e.sqlDB(ctx)
	if err != nil {
		return nil, err
	}
	s, err := postgres.New(db, postgres.Options{TablePrefix: uniqueName("store") + "_", Logger: e.runtimeLog()})
	if err != nil {
		return nil, fmt.Errorf("postgres store: %w", err)
	}
	if err := s.Migrate(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("migrate the postgres store: %w", err), dropPGStore(s))
	}
	return s, nil
}

func dropPGStore(s *postgres.Store) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Drop(ctx); err != nil {
		return fmt.Errorf("drop the postgres store's tables: %w", err)
	}
	return nil
}
