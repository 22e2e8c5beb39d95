package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/evgenhq/evgen/bench/internal/benchsubevents"
)

// The pipeline cases time a whole choreography step: -concurrency writers
// each commit a row of their own state with one event, the event reaches
// the broker, and a consumer applies it idempotently in its own database.
// The clock runs from the first write until the last event's effect is
// committed on the consumer's side.

// pipelineEvgen is the evgen pipeline: the writers commit through the
// postgres store's outbox, benchpub's relay sends the events, and benchsub
// applies them through the postgres inbox in concurrent mode (-consumers),
// its handler queuing its write (postgres.Queue).
func pipelineEvgen(ctx context.Context, e *env) (res result, err error) {
	r, err := e.newEvgenRun(ctx, false)
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, r.remove()) }()
	producer, err := e.openConsumerStore(ctx, postgresInbox, nil)
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, producer.close()) }()
	consumer, err := e.openConsumerStore(ctx, postgresInbox, nil)
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, consumer.close()) }()

	n := e.cfg.Events
	counter := newCommitCounter(n)
	sub, err := r.service(benchsubevents.Contract, trackingStore{Store: consumer.store, committed: counter.committed}, e.cfg.Consumers)
	if err != nil {
		return res, err
	}
	if err := benchsubevents.RegisterHandlers(sub, stateHandler{insert: consumer.insert, queue: consumer.queue}); err != nil {
		return res, fmt.Errorf("register handlers: %w", err)
	}
	stopSub, err := r.start(ctx, sub)
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, stopSub()) }()
	_, stopPub, err := r.publisher(ctx, producer.store)
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, stopPub()) }()

	start := time.Now()
	_, err = inParallel(ctx, n, e.cfg.Concurrency, func(ctx context.Context, i int) error {
		return writeWithEvent(ctx, producer, benchEvent(i, e.cfg.Payload, time.Now()), func(string, time.Time) {})
	})
	if err != nil {
		return res, err
	}
	select {
	case <-counter.done:
	case <-time.After(2 * time.Minute):
		return res, fmt.Errorf("the consumer committed %d of %d events in 2 minutes", counter.count(), n)
	case <-ctx.Done():
		return res, ctx.Err()
	}
	res = throughput(n, time.Since(start))
	got, err := consumer.rows(ctx)
	if err == nil && got != n {
		err = fmt.Errorf("%d state rows on the consumer's side after %d events", got, n)
	}
	return res, err
}

// pipelineRaw is the pipeline's ceiling over the same tables: each writer
// commits its state row and then publishes the event with the raw
// pipelined publisher (no outbox, so not atomic: the ceiling, not a
// design), into the raw batched consumer.
func pipelineRaw(ctx context.Context, e *env) (res result, err error) {
	r, err := e.declareRoute("pipe_raw")
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, e.removeRoute(r)) }()
	own, err := e.createStateTables(ctx, "pipe_own")
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, e.dropStateTables(own)) }()
	t, err := e.createStateTables(ctx, "pipe_raw")
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, e.dropStateTables(t)) }()
	db, err := e.sqlDB(ctx)
	if err != nil {
		return res, err
	}
	publish, closePub, err := e.rawPublisher(r)
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, closePub()) }()
	apply, err := e.pipelinedApplier(ctx, t)
	if err != nil {
		return res, err
	}

	n := e.cfg.Events
	insert := fmt.Sprintf(`INSERT INTO %s (event_id, body_bytes) VALUES ($1, $2)`, own.State)
	start := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		return rawConsumer{url: e.cfg.AMQPURL, batch: e.cfg.Batch, apply: apply}.run(gctx, r.Queue, n)
	})
	g.Go(func() error {
		_, err := inParallel(gctx, n, e.cfg.Concurrency, func(ctx context.Context, i int) error {
			ev := newEmailChanged(i, e.cfg.Payload, time.Now())
			if _, err := db.ExecContext(ctx, insert, ev.UserID, len(ev.Email)); err != nil {
				return fmt.Errorf("write own state: %w", err)
			}
			return publish(ctx, i, time.Now())
		})
		return err
	})
	if err := g.Wait(); err != nil {
		return res, err
	}
	res = throughput(n, time.Since(start))
	return res, e.checkApplied(ctx, t.State, n)
}
