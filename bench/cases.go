package main

import (
	"context"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	amqp "github.com/rabbitmq/amqp091-go"
)

// Ceilings: the cases the others are compared with.
const (
	publishCeiling = "publish-raw"
	consumeCeiling = "consume-raw-pg-batch"
	latencyCeiling = "latency-raw-pg"
)

// asyncAPILines is what the benchmark issue measured a general-purpose
// AsyncAPI generator writing for one side of a 1,000-message spec.
const asyncAPILines = 90000

// allCases is the table, in the order it runs and prints.
func allCases() []benchCase {
	return []benchCase{
		{
			Name: publishCeiling, Group: "publish", Ceiling: publishCeiling,
			About: "amqp091-go, confirms pipelined over -channels channels from -concurrency goroutines",
			Run:   publishCase("pub_raw", func(e *env) publisherFactory { return e.rawPublisher }, 0),
		},
		{
			Name: "publish-watermill-8", Group: "publish", Ceiling: publishCeiling,
			About: "watermill-amqp by hand: durable pub/sub config, confirms on, channel pool 8, 8 goroutines",
			Run:   publishCase("pub_wm8", func(e *env) publisherFactory { return e.watermillPublisher }, 8),
		},
		{
			Name: "publish-watermill-1", Group: "publish", Ceiling: publishCeiling,
			About: "the same Watermill publisher from one goroutine",
			Run:   publishCase("pub_wm1", func(e *env) publisherFactory { return e.watermillPublisher }, 1),
		},
		{
			Name: consumeCeiling, Group: "consume", Ceiling: consumeCeiling,
			About: "amqp091-go, prefetch 2x-batch, one PostgreSQL transaction per batch of up to -batch, statements pipelined (pgx batch), one multiple-ack",
			Run:   consumeRaw(configuredBatch, (*env).pipelinedApplier),
		},
		{
			Name: "consume-raw-pg-batch-seq", Group: "consume", Ceiling: consumeCeiling,
			About: "the same batches over database/sql: one round trip per statement",
			Run:   consumeRaw(configuredBatch, (*env).sequentialApplier),
		},
		{
			Name: "consume-raw-pg-tx-per-event", Group: "consume", Ceiling: consumeCeiling,
			About: "amqp091-go with one database/sql transaction and one ack per event",
			Run:   consumeRaw(singleEvent, (*env).sequentialApplier),
		},
		{
			Name: "consume-watermill-pg", Group: "consume", Ceiling: consumeCeiling,
			About: "watermill-amqp subscriber by hand: durable pub/sub config, one database/sql transaction per message",
			Run:   consumeWatermill,
		},
		{
			Name: latencyCeiling, Group: "latency", Metric: p99Millis, Ceiling: latencyCeiling,
			About: "publish-raw at -rate for -duration into consume-raw-pg-batch; publish to committed",
			Run:   latencyRaw,
		},
		{
			Name: "latency-watermill-pg", Group: "latency", Metric: p99Millis, Ceiling: latencyCeiling,
			About: "publish-watermill at -rate for -duration into consume-watermill-pg; publish to committed",
			Run:   latencyWatermill,
		},
		{
			Name: "validate", Group: "generate", Metric: seconds,
			About: "schema.Load (parse and validate) of a synthetic set of -services services and -gen-events events",
			Run:   validateContracts,
		},
		{
			Name: "generate", Group: "generate", Metric: seconds, Targets: []target{below(0.5, "s"), fewerPerThousand("lines", asyncAPILines)},
			About: "schema.Load, then templates.Generate for every service of the same set (evgen validate + generate, in process)",
			Run:   generateContracts,
		},
	}
}

// latencyRaw runs the raw publisher into the raw batched consumer.
func latencyRaw(ctx context.Context, e *env) (result, error) {
	return e.timeLatency(ctx, "lat_raw", func(rec *recorder) latencyPair {
		return latencyPair{
			open: e.rawPublisher,
			consume: func(ctx context.Context, r route, t stateTables, n int) error {
				apply, err := e.pipelinedApplier(ctx, t)
				if err != nil {
					return err
				}
				committed := func(ds []amqp.Delivery) {
					now := time.Now()
					for _, d := range ds {
						rec.committed(d.Body, now)
					}
				}
				return rawConsumer{url: e.cfg.AMQPURL, batch: e.cfg.Batch, apply: apply, committed: committed}.run(ctx, r.Queue, n)
			},
		}
	})
}

// latencyWatermill runs the hand-written Watermill publisher into the
// hand-written Watermill consumer.
func latencyWatermill(ctx context.Context, e *env) (result, error) {
	return e.timeLatency(ctx, "lat_wm", func(rec *recorder) latencyPair {
		return latencyPair{
			open: e.watermillPublisher,
			consume: func(ctx context.Context, r route, t stateTables, n int) error {
				committed := func(msg *message.Message) { rec.committed(msg.Payload, time.Now()) }
				return watermillConsumer{e: e, t: t, committed: committed}.run(ctx, r, n)
			},
		}
	})
}
