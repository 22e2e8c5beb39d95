package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"golang.org/x/sync/errgroup"
)

// recorder collects publish-to-committed latencies from the consuming side.
type recorder struct {
	mu      sync.Mutex
	samples []time.Duration
	errs    []error
}

// committed records one event whose body carries its send time.
func (r *recorder) committed(body []byte, now time.Time) {
	at, err := sentAt(body)
	if err != nil {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.errs = append(r.errs, err)
		return
	}
	r.add(now.Sub(at))
}

// add records one latency.
func (r *recorder) add(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.samples = append(r.samples, d)
}

// percentiles returns p50 and p99 of the samples, nearest rank.
func (r *recorder) percentiles() (p50, p99 time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := errors.Join(r.errs...); err != nil {
		return 0, 0, err
	}
	if len(r.samples) == 0 {
		return 0, 0, errors.New("no latency samples")
	}
	s := slices.Clone(r.samples)
	slices.Sort(s)
	rank := func(q float64) time.Duration { return s[max(int(math.Ceil(q*float64(len(s))))-1, 0)] }
	return rank(0.50), rank(0.99), nil
}

// latencyPair is a consumer and a publisher measured together.
type latencyPair struct {
	consume consumeFunc      // runs until n events are committed, reporting each to the recorder
	open    publisherFactory // the publisher, opened before the clock starts
}

// timeLatency publishes -rate events/s for -duration on a fresh route while
// the consumer runs, and reports publish-to-committed p50 and p99. Each event
// carries its scheduled send time, not the time a publisher got to it, so a
// publisher falling behind shows up as latency instead of hiding it.
func (e *env) timeLatency(ctx context.Context, prefix string, pair func(rec *recorder) latencyPair) (res result, err error) {
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

	rec := &recorder{}
	p := pair(rec)
	publish, closePub, err := p.open(r)
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, closePub()) }()

	n := int(float64(e.cfg.Rate) * e.cfg.Duration.Seconds())
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Duration+time.Minute)
	defer cancel()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return p.consume(gctx, r, t, n) })
	if err := e.awaitConsumer(gctx, r.Queue); err != nil {
		return res, errors.Join(err, g.Wait())
	}
	var published time.Duration
	g.Go(func() (err error) {
		published, err = paced(gctx, n, e.cfg.Rate, e.cfg.Concurrency, publish)
		return err
	})
	if err := g.Wait(); err != nil {
		return res, err
	}
	if err := e.checkApplied(ctx, t.State, n); err != nil {
		return res, err
	}
	res = throughput(n, published)
	res.P50, res.P99, err = rec.percentiles()
	return res, err
}

// paced publishes event i at start + i/rate from a pool of goroutines, so
// a slow confirm delays no later event's schedule.
func paced(ctx context.Context, n, rate, goroutines int, publish publishFunc) (time.Duration, error) {
	type job struct {
		i  int
		at time.Time
	}
	jobs := make(chan job, n)
	g, ctx := errgroup.WithContext(ctx)
	for range goroutines {
		g.Go(func() error {
			for j := range jobs {
				if err := publish(ctx, j.i, j.at); err != nil {
					return err
				}
			}
			return nil
		})
	}
	start := time.Now()
	interval := time.Second / time.Duration(rate)
	g.Go(func() error {
		defer close(jobs)
		for i := range n {
			at := start.Add(time.Duration(i) * interval)
			if d := time.Until(at); d > 0 {
				select {
				case <-time.After(d):
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			jobs <- job{i, at}
		}
		return nil
	})
	err := g.Wait()
	return time.Since(start), err
}

// awaitConsumer waits until queue exists and has a consumer, so that the
// first events do not count the consumer's start-up as latency.
func (e *env) awaitConsumer(ctx context.Context, queue string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		var consumers int
		err := e.withChannel(func(ch *amqp.Channel) error {
			q, err := ch.QueueDeclarePassive(queue, true, false, false, false, nil)
			consumers = q.Consumers
			return err
		})
		var amqpErr *amqp.Error
		if err != nil && !(errors.As(err, &amqpErr) && amqpErr.Code == amqp.NotFound) {
			return fmt.Errorf("inspect queue %s: %w", queue, err)
		}
		if err == nil && consumers > 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no consumer on %s after 10s", queue)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}
