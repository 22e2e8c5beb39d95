package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/evgenhq/evgen/bench/internal/benchsubevents"
	"github.com/evgenhq/evgen/runtime/store/memory"
)

// latencyEvgen publishes -rate events/s for -duration through the generated
// publisher into the generated consumer with the PostgreSQL inbox, and
// reports the time from each event's scheduled send to the commit of its
// inbox transaction.
func latencyEvgen(concurrent bool) func(ctx context.Context, e *env) (result, error) {
	return func(ctx context.Context, e *env) (res result, err error) {
		concurrency := 1
		if concurrent {
			concurrency = e.cfg.Consumers
		}
		r, err := e.newEvgenRun(ctx, false)
		if err != nil {
			return res, err
		}
		defer func() { err = errors.Join(err, r.remove()) }()
		cs, err := e.pgConsumerStore(ctx)
		if err != nil {
			return res, err
		}
		defer func() { err = errors.Join(err, cs.close()) }()

		n := int(float64(e.cfg.Rate) * e.cfg.Duration.Seconds())
		rec := &recorder{}
		var sent sync.Map // event ID -> scheduled send time, set by the handler
		counter := newCommitCounter(n)
		committed := func(ids []string, at time.Time) {
			for _, id := range ids {
				if t, ok := sent.Load(id); ok {
					rec.add(at.Sub(t.(time.Time)))
				}
			}
			counter.committed(ids, at)
		}
		svc, err := r.service(benchsubevents.Contract, trackingStore{Store: cs.store, committed: committed}, concurrency)
		if err != nil {
			return res, err
		}
		h := stateHandler{insert: cs.insert, handled: func(id string, at time.Time) { sent.Store(id, at) }}
		if err := benchsubevents.RegisterHandlers(svc, h); err != nil {
			return res, fmt.Errorf("register handlers: %w", err)
		}
		stop, err := r.start(ctx, svc)
		if err != nil {
			return res, err
		}
		defer func() { err = errors.Join(err, stop()) }()
		pub, stopPub, err := r.publisher(ctx, memory.New())
		if err != nil {
			return res, err
		}
		defer func() { err = errors.Join(err, stopPub()) }()

		published, err := paced(ctx, n, e.cfg.Rate, e.cfg.Concurrency, func(ctx context.Context, i int, at time.Time) error {
			return pub.PublishEmailChanged(ctx, benchEvent(i, e.cfg.Payload, at))
		})
		if err != nil {
			return res, err
		}
		select {
		case <-counter.done:
		case <-time.After(time.Minute):
			return res, fmt.Errorf("not every event committed a minute after the last publish")
		case <-ctx.Done():
			return res, ctx.Err()
		}
		if got, err := cs.rows(ctx); err != nil || got != n {
			return res, errors.Join(err, fmt.Errorf("%d state rows after %d events", got, n))
		}
		res = throughput(n, published)
		res.P50, res.P99, err = rec.percentiles()
		return res, err
	}
}
