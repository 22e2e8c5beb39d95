package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wamqp "github.com/ThreeDotsLabs/watermill-amqp/v3/pkg/amqp"
	"github.com/ThreeDotsLabs/watermill/message"
)

// publishFunc publishes event i, sent at at, and returns once it is
// durably accepted.
type publishFunc func(ctx context.Context, i int, at time.Time) error

// publisherFactory opens a publisher onto r (untimed) and returns it with
// its close function.
type publisherFactory func(r route) (publishFunc, func() error, error)

// rawPublisher is the publish ceiling: amqp091-go with pipelined confirms.
func (e *env) rawPublisher(r route) (publishFunc, func() error, error) {
	p, err := dialPipelined(e.cfg.AMQPURL, e.cfg.Channels)
	if err != nil {
		return nil, nil, err
	}
	fn := func(ctx context.Context, i int, at time.Time) error {
		return p.publish(ctx, r.Exchange, "", publishing(newEmailChanged(i, e.cfg.Payload, at).body()))
	}
	return fn, p.Close, nil
}

// watermillPublisher is watermill-amqp configured by hand as its docs show:
// the durable pub/sub config (a fanout exchange named like the topic), with
// confirms on and a pool of 8 channels. It waits for each confirm before the
// channel goes back to the pool, so only the pool size runs in parallel.
func (e *env) watermillPublisher(r route) (publishFunc, func() error, error) {
	cfg := wamqp.NewDurablePubSubConfig(e.cfg.AMQPURL, nil)
	cfg.Publish.ConfirmDelivery = true
	cfg.Publish.ChannelPoolSize = 8
	pub, err := wamqp.NewPublisher(cfg, watermill.NopLogger{})
	if err != nil {
		return nil, nil, fmt.Errorf("watermill-amqp publisher: %w", err)
	}
	fn := func(ctx context.Context, i int, at time.Time) error {
		msg := message.NewMessage(watermill.NewUUID(), newEmailChanged(i, e.cfg.Payload, at).body())
		msg.SetContext(ctx)
		return pub.Publish(r.Exchange, msg)
	}
	return fn, pub.Close, nil
}

// publishCase times -events publishes from the given number of goroutines
// (0: -concurrency) through the publisher open makes.
func publishCase(prefix string, open func(e *env) publisherFactory, goroutines int) func(ctx context.Context, e *env) (result, error) {
	return func(ctx context.Context, e *env) (result, error) {
		g := goroutines
		if g == 0 {
			g = e.cfg.Concurrency
		}
		return e.timePublish(ctx, prefix, open(e), g)
	}
}

// timePublish times -events publishes onto a fresh route and checks that
// every event reached the queue.
func (e *env) timePublish(ctx context.Context, prefix string, open publisherFactory, goroutines int) (res result, err error) {
	r, err := e.declareRoute(prefix)
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, e.removeRoute(r)) }()
	publish, closePub, err := open(r)
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, closePub()) }()
	n := e.cfg.Events
	elapsed, err := inParallel(ctx, n, goroutines, func(ctx context.Context, i int) error {
		return publish(ctx, i, time.Now())
	})
	if err != nil {
		return res, err
	}
	if err := e.awaitDepth(ctx, r.Queue, n); err != nil {
		return res, fmt.Errorf("after publishing: %w", err)
	}
	return throughput(n, elapsed), nil
}
