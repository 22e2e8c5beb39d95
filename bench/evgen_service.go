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
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store"
	"github.com/evgenhq/evgen/runtime/store/memory"
)

// evgenRun is one run's evgen topology: the benchmark's producer (benchpub)
// and consumer (benchsub) services under a namespace of their own, so that
// their exchange, queues and event log are unique to the run and deleted
// after it.
type evgenRun struct {
	e          *env
	namespace  string
	noEventLog bool                   // benchpub declares no event log (EventLog.Disabled)
	plans      []service.TopologyPlan // what both services declare
	queue      string                 // benchsub's queue
}

// newEvgenRun declares the consumer's topology, as the consuming service
// does when it starts, so that published events are routed to its queue.
func (e *env) newEvgenRun(ctx context.Context, noEventLog bool) (*evgenRun, error) {
	// The runtime retries a broker that is down until its context ends;
	// the benchmark fails at once instead.
	if _, err := e.adminConn(); err != nil {
		return nil, err
	}
	r := &evgenRun{e: e, namespace: uniqueName("evgen"), noEventLog: noEventLog}
	sub, err := r.service(benchsubevents.Contract, memory.New(), 1)
	if err != nil {
		return nil, err
	}
	pub, err := r.service(benchpubevents.Contract, memory.New(), 1)
	if err != nil {
		return nil, err
	}
	plan := sub.Topology()
	if len(plan.Bindings) == 0 {
		return nil, fmt.Errorf("benchsub's topology binds no queue:\n%s", plan)
	}
	r.queue = plan.Bindings[0].Queue
	r.plans = []service.TopologyPlan{plan, pub.Topology()}
	e.mu.Lock()
	e.evgenPlans = append(e.evgenPlans, r.plans...)
	e.mu.Unlock()
	// Running the consumer service briefly declares exactly the topology the
	// runtime wants; declaring it here by hand could drift from it.
	if err := benchsubevents.RegisterHandlers(sub, discardHandler{}); err != nil {
		return nil, fmt.Errorf("register handlers: %w", err)
	}
	stop, err := r.start(ctx, sub)
	if err != nil {
		return nil, errors.Join(err, r.remove())
	}
	if err := stop(); err != nil {
		return nil, errors.Join(err, r.remove())
	}
	return r, nil
}

// service builds one of the two services on RabbitMQ.
func (r *evgenRun) service(contract runtime.Contract, st store.Store, concurrency int) (*service.Service, error) {
	svc, err := service.New(service.Config{
		Contract:    contract,
		Transport:   service.AMQP(r.e.cfg.AMQPURL),
		Store:       st,
		Logger:      r.e.runtimeLog(),
		Namespace:   r.namespace,
		Concurrency: concurrency,
		QueueType:   benchQueueType,
		EventLog:    service.EventLogConfig{Disabled: r.noEventLog},
	})
	if err != nil {
		return nil, fmt.Errorf("evgen service %s: %w", contract.Service, err)
	}
	return svc, nil
}

// publisher runs benchpub's service over store, as a producer runs in
// production: its topology (exchange, event log) declared and its outbox
// relayed. stop ends it.
func (r *evgenRun) publisher(ctx context.Context, st store.Store) (pub *benchpubevents.Publisher, stop func() error, err error) {
	svc, err := r.service(benchpubevents.Contract, st, 1)
	if err != nil {
		return nil, nil, err
	}
	stop, err = r.start(ctx, svc)
	if err != nil {
		return nil, nil, err
	}
	return benchpubevents.NewPublisher(svc), stop, nil
}

// startTimeout bounds a service's start-up: connect, migrate, declare.
const startTimeout = 30 * time.Second

// start runs svc until stop is called, once it is ready: its topology
// declared and, for a consumer, consuming.
func (r *evgenRun) start(ctx context.Context, svc *service.Service) (stop func() error, err error) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	stop = func() error {
		cancel()
		if err := <-done; err != nil {
			return fmt.Errorf("stop service: %w", err)
		}
		return nil
	}
	select {
	case <-svc.Ready():
		return stop, nil
	case err := <-done:
		cancel()
		return nil, fmt.Errorf("service stopped before it was ready: %w", err)
	case <-time.After(startTimeout):
		return nil, errors.Join(fmt.Errorf("service not ready after %s", startTimeout), stop())
	}
}

// remove deletes the run's queues, event log and exchanges.
func (r *evgenRun) remove() error {
	var errs []error
	for _, p := range r.plans {
		errs = append(errs, r.e.removePlan(p))
	}
	return errors.Join(errs...)
}

func (e *env) removePlan(p service.TopologyPlan) error {
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
	pub, stop, err := r.publisher(ctx, memory.New())
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, stop()) }()
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
