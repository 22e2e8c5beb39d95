package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/evgenhq/evgen/runtime/service"
)

// route is a durable fanout exchange with one durable queue bound to it:
// what the raw and hand-written Watermill cases publish to and consume from.
// It is the topology watermill-amqp's NewDurablePubSubConfig declares for a
// topic named like the exchange, so both declare it identically.
//
// The queue is of benchQueueType, the type the evgen cases' services
// declare, so that a ratio between a ceiling and an evgen case compares
// like with like: a quorum queue replicates through its Raft log and costs
// the broker more per event than a classic one.
type route struct {
	Exchange string
	Queue    string
}

// declareRoute declares a route with unique names; remove deletes it.
// Publishing goes to a bound, durable queue so the broker persists every
// event before confirming it, as it would in production.
func (e *env) declareRoute(prefix string) (route, error) {
	r := route{Exchange: uniqueName(prefix + "_x"), Queue: uniqueName(prefix + "_q")}
	if _, err := e.adminConn(); err != nil {
		return r, err // nothing declared, nothing to remove
	}
	e.mu.Lock()
	e.routes = append(e.routes, r)
	e.mu.Unlock()
	err := e.withChannel(func(ch *amqp.Channel) error {
		if err := ch.ExchangeDeclare(r.Exchange, amqp.ExchangeFanout, true, false, false, false, nil); err != nil {
			return fmt.Errorf("declare exchange %s: %w", r.Exchange, err)
		}
		if _, err := ch.QueueDeclare(r.Queue, true, false, false, false, queueArgs()); err != nil {
			return fmt.Errorf("declare queue %s: %w", r.Queue, err)
		}
		if err := ch.QueueBind(r.Queue, "", r.Exchange, false, nil); err != nil {
			return fmt.Errorf("bind queue %s to %s: %w", r.Queue, r.Exchange, err)
		}
		return nil
	})
	if err != nil {
		return r, errors.Join(err, e.removeRoute(r))
	}
	return r, nil
}

// benchQueueType is the queue type of every case that uses a queue: the
// runtime's default, which the evgen services declare (evgenRun.service
// sets it explicitly) and the raw and Watermill routes declare too.
const benchQueueType = service.QuorumQueue

// queueArgs are the declaration arguments of a route's queue.
func queueArgs() amqp.Table { return amqp.Table{"x-queue-type": string(benchQueueType)} }

func (e *env) removeRoute(r route) error {
	return e.withChannel(func(ch *amqp.Channel) error {
		if _, err := ch.QueueDelete(r.Queue, false, false, false); err != nil {
			return fmt.Errorf("delete queue %s: %w", r.Queue, err)
		}
		if err := ch.ExchangeDelete(r.Exchange, false, false); err != nil {
			return fmt.Errorf("delete exchange %s: %w", r.Exchange, err)
		}
		return nil
	})
}

// queueDepth is the number of ready messages in queue.
func (e *env) queueDepth(queue string) (int, error) {
	var n int
	err := e.withChannel(func(ch *amqp.Channel) error {
		q, err := ch.QueueDeclarePassive(queue, true, false, false, false, nil)
		if err != nil {
			return fmt.Errorf("inspect queue %s: %w", queue, err)
		}
		n = q.Messages
		return nil
	})
	return n, err
}

// awaitDepth waits until queue holds exactly want ready messages: a confirm
// means the event is enqueued, but the count the broker reports can lag a
// moment. More than want means something was sent twice.
func (e *env) awaitDepth(ctx context.Context, queue string, want int) error {
	n, err := e.awaitDepthFor(ctx, queue, want, 10*time.Second)
	if err == nil && n != want {
		err = fmt.Errorf("queue %s holds %d messages, want %d", queue, n, want)
	}
	return err
}

// awaitDepthFor waits up to limit until queue holds at least want ready
// messages and returns how many it holds.
func (e *env) awaitDepthFor(ctx context.Context, queue string, want int, limit time.Duration) (int, error) {
	deadline := time.Now().Add(limit)
	for {
		n, err := e.queueDepth(queue)
		if err != nil {
			return n, err
		}
		if n >= want {
			return n, nil
		}
		if time.Now().After(deadline) {
			return n, fmt.Errorf("queue %s holds %d messages after %s, want %d", queue, n, limit, want)
		}
		select {
		case <-ctx.Done():
			return n, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// stateTables are the consumer's own tables: the dedup keys and one row of
// state per event, as a hand-written idempotent consumer keeps them.
type stateTables struct {
	Dedup string
	State string
}

func (e *env) createStateTables(ctx context.Context, prefix string) (stateTables, error) {
	t := stateTables{Dedup: uniqueName(prefix + "_dedup"), State: uniqueName(prefix + "_state")}
	db, err := e.sqlDB(ctx)
	if err != nil {
		return t, err
	}
	stmts := []string{
		fmt.Sprintf(`CREATE TABLE %s (event_id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`, t.Dedup),
		fmt.Sprintf(`CREATE TABLE %s (event_id text PRIMARY KEY, body_bytes int NOT NULL)`, t.State),
	}
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return t, errors.Join(fmt.Errorf("create table: %w", err), e.dropStateTables(t))
		}
	}
	return t, nil
}

func (e *env) dropStateTables(t stateTables) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	db, err := e.sqlDB(ctx)
	if err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, fmt.Sprintf(`DROP TABLE IF EXISTS %s, %s`, t.Dedup, t.State)); err != nil {
		return fmt.Errorf("drop tables %s, %s: %w", t.Dedup, t.State, err)
	}
	return nil
}

// countRows checks after a run that every event took effect exactly once.
func countRows(ctx context.Context, db *sql.DB, table string) (int, error) {
	var n int
	if err := db.QueryRowContext(ctx, fmt.Sprintf(`SELECT count(*) FROM %s`, table)).Scan(&n); err != nil {
		return 0, fmt.Errorf("count rows of %s: %w", table, err)
	}
	return n, nil
}
