package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/ThreeDotsLabs/watermill"
	wamqp "github.com/ThreeDotsLabs/watermill-amqp/v3/pkg/amqp"
	"github.com/ThreeDotsLabs/watermill/message"
)

// watermillConsumer is a watermill-amqp subscriber as a user writes it by
// hand: the durable pub/sub config, and for each message a database/sql
// transaction that records the dedup key and the state row, then Ack.
type watermillConsumer struct {
	e         *env
	t         stateTables
	committed func(msg *message.Message) // called after each commit; nil for none
}

// run consumes the topic named like r's exchange until n messages are
// committed and acked.
func (c watermillConsumer) run(ctx context.Context, r route, n int) (err error) {
	db, err := c.e.sqlDB(ctx)
	if err != nil {
		return err
	}
	cfg := wamqp.NewDurablePubSubConfig(c.e.cfg.AMQPURL, wamqp.GenerateQueueNameConstant(r.Queue))
	cfg.Queue.Arguments = queueArgs() // as declareRoute declared it
	sub, err := wamqp.NewSubscriber(cfg, watermill.NopLogger{})
	if err != nil {
		return fmt.Errorf("watermill-amqp subscriber: %w", err)
	}
	defer func() { err = errors.Join(err, sub.Close()) }()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	msgs, err := sub.Subscribe(ctx, r.Exchange)
	if err != nil {
		return fmt.Errorf("subscribe %s: %w", r.Exchange, err)
	}
	for done := 0; done < n; done++ {
		var msg *message.Message
		select {
		case m, ok := <-msgs:
			if !ok {
				return fmt.Errorf("subscription to %s closed after %d of %d messages", r.Exchange, done, n)
			}
			msg = m
		case <-ctx.Done():
			return ctx.Err()
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("begin: %w", err)
		}
		if err := applyOne(ctx, tx, c.t, msg.UUID, len(msg.Payload)); err != nil {
			return errors.Join(err, tx.Rollback())
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
		msg.Ack()
		if c.committed != nil {
			c.committed(msg)
		}
	}
	return nil
}

// consumeWatermill times the hand-written Watermill consumer.
func consumeWatermill(ctx context.Context, e *env) (result, error) {
	return e.timeConsume(ctx, "con_wm", func(ctx context.Context, r route, t stateTables, n int) error {
		return watermillConsumer{e: e, t: t}.run(ctx, r, n)
	})
}
