package main

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"golang.org/x/sync/errgroup"
)

// pipelinedPublisher is the ceiling: amqp091-go with publisher confirms on a
// few channels, each publish waiting only for its own confirm, so many
// goroutines keep many confirms in flight at once.
type pipelinedPublisher struct {
	conn  *amqp.Connection
	chans []*amqp.Channel
	next  atomic.Uint64
}

func dialPipelined(url string, channels int) (*pipelinedPublisher, error) {
	conn, err := amqp.Dial(url)
	if err != nil {
		return nil, fmt.Errorf("connect to RabbitMQ %s: %w", redactURL(url), err)
	}
	p := &pipelinedPublisher{conn: conn}
	for range channels {
		ch, err := conn.Channel()
		if err != nil {
			return nil, errors.Join(fmt.Errorf("open channel: %w", err), p.Close())
		}
		if err := ch.Confirm(false); err != nil {
			return nil, errors.Join(fmt.Errorf("enable publisher confirms: %w", err), p.Close())
		}
		p.chans = append(p.chans, ch)
	}
	return p, nil
}

// publish returns once the broker confirmed msg.
func (p *pipelinedPublisher) publish(ctx context.Context, exchange, key string, msg amqp.Publishing) error {
	return p.send(ctx, exchange, key, false, msg)
}

// publishMandatory is publish with the mandatory flag evgen sets, so the
// broker does the same routing check; the route is bound, so nothing is
// returned.
func (p *pipelinedPublisher) publishMandatory(ctx context.Context, exchange, key string, msg amqp.Publishing) error {
	return p.send(ctx, exchange, key, true, msg)
}

func (p *pipelinedPublisher) send(ctx context.Context, exchange, key string, mandatory bool, msg amqp.Publishing) error {
	ch := p.chans[p.next.Add(1)%uint64(len(p.chans))]
	dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, exchange, key, mandatory, false, msg)
	if err != nil {
		return fmt.Errorf("publish to %s: %w", exchange, err)
	}
	ok, err := dc.WaitContext(ctx)
	if err != nil {
		return fmt.Errorf("await confirm from %s: %w", exchange, err)
	}
	if !ok {
		return fmt.Errorf("broker nacked a publish to %s", exchange)
	}
	return nil
}

func (p *pipelinedPublisher) Close() error {
	return p.conn.Close()
}

// inParallel calls fn for i in [0, n) from the given number of goroutines
// and returns the wall time of the whole; the first error stops the rest.
func inParallel(ctx context.Context, n, goroutines int, fn func(ctx context.Context, i int) error) (time.Duration, error) {
	g, ctx := errgroup.WithContext(ctx)
	var next atomic.Int64
	start := time.Now()
	for range min(goroutines, n) {
		g.Go(func() error {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return nil
				}
				if err := ctx.Err(); err != nil {
					return err
				}
				if err := fn(ctx, i); err != nil {
					return err
				}
			}
		})
	}
	err := g.Wait()
	return time.Since(start), err
}

// prefill puts n events on r's queue with the raw publisher, so that a
// consume case times consumption only.
func (e *env) prefill(ctx context.Context, r route, n int) error {
	p, err := dialPipelined(e.cfg.AMQPURL, e.cfg.Channels)
	if err != nil {
		return err
	}
	defer p.Close()
	now := time.Now()
	_, err = inParallel(ctx, n, e.cfg.Concurrency, func(ctx context.Context, i int) error {
		return p.publish(ctx, r.Exchange, "", publishing(newEmailChanged(i, e.cfg.Payload, now).body()))
	})
	if err != nil {
		return fmt.Errorf("pre-fill %s: %w", r.Queue, err)
	}
	return e.awaitDepth(ctx, r.Queue, n)
}
