package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/evgenhq/evgen/bench/internal/benchpubevents"
	"github.com/evgenhq/evgen/bench/internal/benchsubevents"
	"github.com/evgenhq/evgen/runtime"
)

// evgenRun is one run's evgen topology: the benchmark's producer (benchpub)
// and consumer (benchsub) services under a namespace of their own, so that
// their exchange and queues are unique to the run and deleted after it.
type evgenRun struct {
	e         *env
	namespace string
	plan      runtime.TopologyPlan // what benchsub declares: exchange, queue, dead-letter queue
	queue     string               // benchsub's queue
}

// newEvgenRun declares the consumer's topology, as the consuming service
// does when it starts, so that published events are routed to its queue.
func (e *env) newEvgenRun(ctx context.Context) (*evgenRun, error) {
	// The runtime retries a broker that is down until its context ends;
	// the benchmark fails at once instead.
	if _, err := e.adminConn(); err != nil {
		return nil, err
	}
	r := &evgenRun{e: e, namespace: uniqueName("evgen")}
	svc, err := r.service(benchsubevents.Contract, runtime.NewMemoryStore(), 1)
	if err != nil {
		return nil, err
	}
	r.plan = svc.Topology()
	if len(r.plan.Bindings) == 0 {
		return nil, fmt.Errorf("benchsub's topology binds no queue:\n%s", r.plan)
	}
	r.queue = r.plan.Bindings[0].Queue
	e.mu.Lock()
	e.evgenPlans = append(e.evgenPlans, r.plan)
	e.mu.Unlock()
	// Running the consumer service briefly declares exactly the topology the
	// runtime wants; declaring it here by hand could drift from it.
	if err := benchsubevents.RegisterHandlers(svc, discardHandler{}); err != nil {
		return nil, fmt.Errorf("register handlers: %w", err)
	}
	stop, err := r.start(ctx, svc)
	if err != nil {
		return nil, errors.Join(err, r.remove())
	}
	if err := stop(); err != nil {
		return nil, errors.Join(err, r.remove())
	}
	return r, nil
}

// service builds one of the two services on RabbitMQ.
func (r *evgenRun) service(contract runtime.Contract, store runtime.Store, concurrency int) (*runtime.Service, error) {
	svc, err := runtime.NewService(runtime.Config{
		Contract:    contract,
		Transport:   runtime.AMQP(r.e.cfg.AMQPURL),
		Store:       store,
		Logger:      r.e.runtimeLog(),
		Namespace:   r.namespace,
		Concurrency: concurrency,
	})
	if err != nil {
		return nil, fmt.Errorf("evgen service %s: %w", contract.Service, err)
	}
	return svc, nil
}

// publisher is benchpub's service, with a memory store: it publishes
// straight to the broker.
func (r *evgenRun) publisher() (*runtime.Service, *benchpubevents.Publisher, error) {
	svc, err := r.service(benchpubevents.Contract, runtime.NewMemoryStore(), 1)
	if err != nil {
		return nil, nil, err
	}
	return svc, benchpubevents.NewPublisher(svc), nil
}

// start runs svc until stop is called, once its queue has a consumer.
func (r *evgenRun) start(ctx context.Context, svc *runtime.Service) (stop func() error, err error) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	stop = func() error {
		cancel()
		if err := <-done; err != nil {
			return fmt.Errorf("run benchsub: %w", err)
		}
		return nil
	}
	ready := make(chan error, 1)
	go func() { ready <- r.e.awaitConsumer(ctx, r.queue) }()
	select {
	case err := <-ready:
		if err != nil {
			return nil, errors.Join(err, stop())
		}
		return stop, nil
	case err := <-done:
		cancel()
		return nil, fmt.Errorf("benchsub stopped before consuming: %w", err)
	}
}

// remove deletes the run's queues and exchanges.
func (r *evgenRun) remove() error {
	return r.e.removePlan(r.plan)
}

func (e *env) removePlan(p runtime.TopologyPlan) error {
	return e.withChannel(func(ch *amqp.Channel) error {
		for _, q := range p.Queues {
			if _, err := ch.QueueDelete(q.Name, false, false, false); err != nil {
				return fmt.Errorf("delete queue %s: %w", q.Name, err)
			}
		}
		for _, x := range p.Exchanges {
			if err := ch.ExchangeDelete(x.Name, false, false); err != nil {
				return fmt.Errorf("delete exchange %s: %w", x.Name, err)
			}
		}
		return nil
	})
}

// prefill publishes n events through the generated publisher, so that a
// consume case times consumption only.
func (r *evgenRun) prefill(ctx context.Context, n int) (err error) {
	svc, pub, err := r.publisher()
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, svc.Close()) }()
	now := time.Now()
	_, err = inParallel(ctx, n, r.e.cfg.Concurrency, func(ctx context.Context, i int) error {
		return pub.PublishEmailChanged(ctx, benchEvent(i, r.e.cfg.Payload, now))
	})
	if err != nil {
		return fmt.Errorf("pre-fill %s: %w", r.queue, err)
	}
	return r.e.awaitDepth(ctx, r.queue, n)
}

// benchEvent is event i as the generated type, the same fields and size as
// the raw cases' body.
func benchEvent(i, size int, at time.Time) benchpubevents.EmailChanged {
	ev := newEmailChanged(i, size, at)
	return benchpubevents.EmailChanged{UserID: ev.UserID, Email: ev.Email, ChangedAt: ev.ChangedAt}
}

// discardHandler handles events by doing nothing; it serves only to start
// a consumer that declares its topology.
type discardHandler struct{}

func (discardHandler) HandleEmailChanged(context.Context, benchsubevents.EmailChanged, runtime.Meta) error {
	return nil
}
