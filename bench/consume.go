package main

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// consumeFunc consumes n events from r's queue, applying each to t.
type consumeFunc func(ctx context.Context, r route, t stateTables, n int) error

// timeConsume pre-fills a fresh queue with -events events, times only their
// consumption, and checks that each took effect exactly once.
func (e *env) timeConsume(ctx context.Context, prefix string, consume consumeFunc) (res result, err error) {
	r, err := e.declareRoute(prefix)
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, e.removeRoute(r)) }()
	t, err := e.createStateTables(ctx, prefix)
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, e.dropStateTables(t)) }()
	n := e.cfg.Events
	if err := e.prefill(ctx, r, n); err != nil {
		return res, err
	}
	start := time.Now()
	if err := consume(ctx, r, t, n); err != nil {
		return res, err
	}
	elapsed := time.Since(start)
	if err := e.checkApplied(ctx, t.State, n); err != nil {
		return res, err
	}
	return throughput(n, elapsed), nil
}

// checkApplied fails a run whose consumer lost or duplicated an event.
func (e *env) checkApplied(ctx context.Context, table string, n int) error {
	db, err := e.sqlDB(ctx)
	if err != nil {
		return err
	}
	got, err := countRows(ctx, db, table)
	if err != nil {
		return err
	}
	if got != n {
		return fmt.Errorf("%s holds %d rows after consuming %d events", table, got, n)
	}
	return nil
}

// consumeRaw is a hand-written amqp091-go consumer with up to batch events
// per transaction, applied by the applier newApplier builds.
func consumeRaw(batch func(cfg config) int, newApplier func(e *env, ctx context.Context, t stateTables) (batchApplier, error)) func(ctx context.Context, e *env) (result, error) {
	return func(ctx context.Context, e *env) (result, error) {
		return e.timeConsume(ctx, "con_raw", func(ctx context.Context, r route, t stateTables, n int) error {
			apply, err := newApplier(e, ctx, t)
			if err != nil {
				return err
			}
			return rawConsumer{url: e.cfg.AMQPURL, batch: batch(e.cfg), apply: apply}.run(ctx, r.Queue, n)
		})
	}
}

func configuredBatch(cfg config) int { return cfg.Batch }
func singleEvent(config) int         { return 1 }
