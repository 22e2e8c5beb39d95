package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	amqp "github.com/rabbitmq/amqp091-go"
)

// batchApplier applies a batch of deliveries in one PostgreSQL transaction:
// for each, records its dedup key and, when the key is new, one row of state.
type batchApplier func(ctx context.Context, ds []amqp.Delivery) error

// rawConsumer is a hand-written amqp091-go consumer: prefetch, a batch of
// whatever deliveries are waiting (up to batch) per transaction, and one
// multiple-ack per batch after the commit.
type rawConsumer struct {
	url       string
	batch     int
	apply     batchApplier
	committed func(ds []amqp.Delivery) // called after each commit; nil for none
}

// run consumes queue until n deliveries are committed and acked.
func (c rawConsumer) run(ctx context.Context, queue string, n int) error {
	conn, err := amqp.Dial(c.url)
	if err != nil {
		return fmt.Errorf("connect to RabbitMQ %s: %w", redactURL(c.url), err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("open channel: %w", err)
	}
	// Twice the batch in flight, so the next batch arrives while one
	// commits; at least 16, the runtime's own default.
	prefetch := max(2*c.batch, 16)
	if err := ch.Qos(prefetch, 0, false); err != nil {
		return fmt.Errorf("set prefetch: %w", err)
	}
	unbuffered, err := ch.ConsumeWithContext(ctx, queue, "", false, false, false, false, nil)
	if err != nil {
		return fmt.Errorf("consume %s: %w", queue, err)
	}
	deliveries := buffer(unbuffered, prefetch)
	buf := make([]amqp.Delivery, 0, c.batch)
	for done := 0; done < n; {
		ds, err := gather(ctx, deliveries, buf[:0], min(c.batch, n-done))
		if err != nil {
			return err
		}
		if err := c.apply(ctx, ds); err != nil {
			return err
		}
		if err := ds[len(ds)-1].Ack(true); err != nil {
			return fmt.Errorf("ack: %w", err)
		}
		if c.committed != nil {
			c.committed(ds)
		}
		done += len(ds)
	}
	return nil
}

// buffer copies deliveries into a channel with room for the prefetch:
// amqp091-go hands them over unbuffered, so without it a batch could only
// ever take the one delivery that is waiting to be handed over.
func buffer(in <-chan amqp.Delivery, size int) <-chan amqp.Delivery {
	out := make(chan amqp.Delivery, size)
	go func() {
		defer close(out)
		for d := range in {
			out <- d
		}
	}()
	return out
}

// gather waits for one delivery, then takes those already waiting, up to limit.
func gather(ctx context.Context, deliveries <-chan amqp.Delivery, buf []amqp.Delivery, limit int) ([]amqp.Delivery, error) {
	select {
	case d, ok := <-deliveries:
		if !ok {
			return nil, errors.New("delivery channel closed by the broker")
		}
		buf = append(buf, d)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	for len(buf) < limit {
		select {
		case d, ok := <-deliveries:
			if !ok {
				return buf, nil
			}
			buf = append(buf, d)
		default:
			return buf, nil
		}
	}
	return buf, nil
}

// claimAndApply is the pipelined form of "record the dedup key; if new,
// write the state row": one statement, so a batch is one round trip.
const claimAndApply = `WITH claimed AS (
	INSERT INTO %s (event_id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING event_id
) INSERT INTO %s (event_id, body_bytes) SELECT event_id, $2 FROM claimed`

// pipelinedApplier is the ceiling: every statement of a batch sent in one
// pgx batch inside one transaction.
func (e *env) pipelinedApplier(ctx context.Context, t stateTables) (batchApplier, error) {
	pool, err := e.pgxPool(ctx)
	if err != nil {
		return nil, err
	}
	query := fmt.Sprintf(claimAndApply, t.Dedup, t.State)
	return func(ctx context.Context, ds []amqp.Delivery) error {
		return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			b := &pgx.Batch{}
			for _, d := range ds {
				b.Queue(query, d.MessageId, len(d.Body))
			}
			if err := tx.SendBatch(ctx, b).Close(); err != nil {
				return fmt.Errorf("apply batch of %d: %w", len(ds), err)
			}
			return nil
		})
	}, nil
}

// sequentialApplier is what a hand-written consumer over database/sql does:
// one statement at a time, a round trip each, in one transaction per batch.
func (e *env) sequentialApplier(ctx context.Context, t stateTables) (batchApplier, error) {
	db, err := e.sqlDB(ctx)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, ds []amqp.Delivery) error {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("begin: %w", err)
		}
		for _, d := range ds {
			if err := applyOne(ctx, tx, t, d.MessageId, len(d.Body)); err != nil {
				return errors.Join(err, tx.Rollback())
			}
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
		return nil
	}, nil
}

// applyOne records the dedup key and, if it is new, the state row.
func applyOne(ctx context.Context, tx *sql.Tx, t stateTables, id string, size int) error {
	res, err := tx.ExecContext(ctx, fmt.Sprintf(`INSERT INTO %s (event_id) VALUES ($1) ON CONFLICT DO NOTHING`, t.Dedup), id)
	if err != nil {
		return fmt.Errorf("record dedup key %s: %w", id, err)
	}
	claimed, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("record dedup key %s: %w", id, err)
	}
	if claimed == 0 {
		return nil // a duplicate: already applied
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`INSERT INTO %s (event_id, body_bytes) VALUES ($1, $2)`, t.State), id, size); err != nil {
		return fmt.Errorf("write state for %s: %w", id, err)
	}
	return nil
}
