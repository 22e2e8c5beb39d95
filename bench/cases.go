package main

import (
	"context"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	amqp "github.com/rabbitmq/amqp091-go"
)

// Ceilings: the cases the others are compared with.
const (
	publishCeiling  = "publish-raw"
	pipelineCeiling = "pipeline-raw-pg"
	consumeCeiling  = "consume-raw-pg-batch"
	latencyCeiling  = "latency-raw-pg"
)

// asyncAPILines is what the benchmark issue measured a general-purpose
// AsyncAPI generator writing for one side of a 1,000-message spec.
const asyncAPILines = 90000

// allCases is the table, in the order it runs and prints.
func allCases() []benchCase {
	return append([]benchCase{
		{
			Name: publishCeiling, Group: "publish", Ceiling: publishCeiling,
			About: "amqp091-go, confirms pipelined over -channels channels from -concurrency goroutines",
			Run:   publishCase("pub_raw", func(e *env) publisherFactory { return e.rawPublisher }, 0),
		},
		{
			Name: "publish-raw-evgen-topology", Group: "publish", Ceiling: publishCeiling,
			About: "publish-raw into publish-evgen's broker work: its topic exchange by routing key, mandatory, the CloudEvents headers, consumer queue and event log stream; publish-evgen's like-for-like ceiling",
			Run:   publishRawEvgenTopology(false),
		},
		{
			Name: "publish-raw-evgen-topology-no-log", Group: "publish", Ceiling: publishCeiling,
			About: "publish-raw-evgen-topology without the event log: publish-evgen-no-log's like-for-like ceiling",
			Run:   publishRawEvgenTopology(true),
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
			Name: "publish-evgen", Group: "publish", Ceiling: publishCeiling,
			Targets: []target{atLeast(0.6, publishCeiling), atLeast(3, "publish-watermill-8"), atLeast(0.6, "publish-raw-evgen-topology")},
			About:   "the generated publisher over service.Service (typed event, validation, CloudEvents headers, runtime-pipelined confirms), -concurrency goroutines",
			Run:     publishEvgen(false),
		},
		{
			Name: "publish-evgen-no-log", Group: "publish", Ceiling: publishCeiling,
			About:   "publish-evgen with the producer's event log (a stream bound to its exchange) disabled: the cost of the broker's second copy",
			Targets: []target{atLeast(0.6, "publish-raw-evgen-topology-no-log")},
			Run:     publishEvgen(true),
		},
		{
			Name: "publish-evgen-outbox", Group: "publish", Ceiling: publishCeiling,
			Targets: []target{atLeast(0.5, publishCeiling)},
			About:   "one PostgreSQL transaction per event (a state row + the event via the postgres store's outbox), -concurrency goroutines, relayed to RabbitMQ; until all are in the queue; relay lag commit to confirm",
			Run:     publishEvgenOutbox(postgresInbox),
		},
		{
			Name: "publish-evgen-outbox-sqlite", Group: "publish", Ceiling: publishCeiling,
			Targets: []target{atLeast(0.4, publishCeiling)},
			About:   "the same over the sqlite store (a file in a temporary directory, WAL)",
			Run:     publishEvgenOutbox(sqliteInbox),
		},
		{
			Name: "relay-drain-pg", Group: "publish", Ceiling: publishCeiling,
			Targets: []target{atLeast(0.5, publishCeiling)},
			About:   "the postgres outbox relay alone: -events transactions committed first, then benchpub starts; its relay's start to the last confirm",
			Run:     relayDrain(postgresInbox),
		},
		{
			Name: "relay-drain-sqlite", Group: "publish", Ceiling: publishCeiling,
			Targets: []target{atLeast(0.4, publishCeiling)},
			About:   "the same over the sqlite store",
			Run:     relayDrain(sqliteInbox),
		},
		{
			Name: consumeCeiling, Group: "consume", Ceiling: consumeCeiling,
			About: "amqp091-go, prefetch 2x -batch, one PostgreSQL transaction per batch of up to -batch, statements pipelined (pgx batch), one multiple-ack",
			Run:   consumeRaw(configuredBatch, (*env).pipelinedApplier),
		},
		{
			Name: "consume-raw-pg-batch-seq", Group: "consume", Ceiling: consumeCeiling,
			About: "the same batches over database/sql: one round trip per statement",
			Run:   consumeRaw(configuredBatch, (*env).sequentialApplier),
		},
		{
			Name: "consume-raw-pg-tx-per-event", Group: "consume", Ceiling: consumeCeiling,
			About: "amqp091-go, prefetch 16, one database/sql transaction and one ack per event",
			Run:   consumeRaw(singleEvent, (*env).sequentialApplier),
		},
		{
			Name: "consume-watermill-pg", Group: "consume", Ceiling: consumeCeiling,
			About: "watermill-amqp subscriber by hand: durable pub/sub config, one database/sql transaction per message",
			Run:   consumeWatermill,
		},
		{
			Name: "consume-evgen-memory-ordered", Group: "consume", Ceiling: consumeCeiling,
			About: "generated consumer over service.Service, in-memory inbox, Concurrency 1",
			Run:   consumeEvgen(memoryInbox, false),
		},
		{
			Name: "consume-evgen-memory-concurrent", Group: "consume", Ceiling: consumeCeiling,
			About: "the same with Concurrency -consumers",
			Run:   consumeEvgen(memoryInbox, true),
		},
		{
			Name: "consume-evgen-sqlite-ordered", Group: "consume", Ceiling: consumeCeiling,
			About: "SQLite inbox (the sqlite store, WAL), a state row per event in the inbox transaction, Concurrency 1",
			Run:   consumeEvgen(sqliteInbox, false),
		},
		{
			Name: "consume-evgen-sqlite-concurrent", Group: "consume", Ceiling: consumeCeiling,
			About: "the same with Concurrency -consumers (batched transactions; savepoints only after a failure)",
			Run:   consumeEvgen(sqliteInbox, true),
		},
		{
			Name: "consume-evgen-pg-ordered", Group: "consume", Ceiling: consumeCeiling,
			Targets: []target{atLeast(1, "consume-raw-pg-tx-per-event")},
			About:   "PostgreSQL inbox (the postgres store), a state row per event in the inbox transaction, Concurrency 1",
			Run:     consumeEvgen(postgresInbox, false),
		},
		{
			Name: "consume-evgen-pg-concurrent", Group: "consume", Ceiling: consumeCeiling,
			// The target, and the same share of the like-for-like
			// hand-written batch (one round trip per statement, as a handler's
			// writes through *sql.Tx are).
			Targets: []target{atLeast(0.5, consumeCeiling), atLeast(0.5, "consume-raw-pg-batch-seq")},
			About:   "the same with Concurrency -consumers (batched transactions; savepoints only after a failure)",
			Run:     consumeEvgen(postgresInbox, true),
		},
		{
			Name: pipelineCeiling, Group: "pipeline", Ceiling: pipelineCeiling,
			About: "-concurrency writers each commit a state row in PostgreSQL and publish the event with publish-raw's publisher into consume-raw-pg-batch's consumer; first write to last commit on the consumer's side",
			Run:   pipelineRaw,
		},
		{
			Name: "pipeline-evgen-pg", Group: "pipeline", Ceiling: pipelineCeiling,
			Targets: []target{atLeast(0.4, pipelineCeiling)},
			About:   "-concurrency writers commit a state row and the event through the postgres outbox; benchpub's relay sends them; benchsub applies them through the postgres inbox, Concurrency -consumers, its write queued (postgres.Queue); first write to last commit on the consumer's side",
			Run:     pipelineEvgen,
		},
		{
			Name: "pipeline-examples-http", Group: "pipeline", Ceiling: pipelineCeiling,
			About: "the example services as processes (users, billing; PostgreSQL, RabbitMQ): -concurrency clients register users over users' HTTP API, billing applies each UserRegistered; first request to billing's last apply (users' accepted rate in the JSON)",
			Run:   pipelineHTTP,
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
			Name: "latency-evgen-pg", Group: "latency", Metric: p99Millis, Ceiling: latencyCeiling,
			Targets: []target{below(25, "ms")},
			About:   "publish-evgen at -rate for -duration into consume-evgen-pg-concurrent; publish to inbox committed",
			Run:     latencyEvgen(true),
		},
		{
			Name: "latency-evgen-pg-ordered", Group: "latency", Metric: p99Millis, Ceiling: latencyCeiling,
			About: "the same into consume-evgen-pg-ordered",
			Run:   latencyEvgen(false),
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
	}, natsCases()...)
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
