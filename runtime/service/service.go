package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/store"
	"github.com/evgenhq/evgen/runtime/transport"
)

// Service is one running evgen service: it declares its contract's
// topology, publishes its own events with broker confirms, consumes the
// events it subscribed to through its inbox, and relays its outbox. It is a
// Registrar for generated RegisterHandlers and a Publisher for generated
// NewPublisher.
type Service struct {
	cfg       Config
	log       *slog.Logger
	metrics   *metrics
	transport transport.Binding
	publishes map[string]bool // routing keys of the contract's own events
	consumes  map[string]bool // routing keys of consumed events
	reactions *reactions      // the handlers' declared emits
	// orders are the consumed event types whose key's events are ordered,
	// by routing key (order.go).
	orders map[string]orderRule
	tracer tracer

	mu       sync.Mutex
	handlers map[string]runtime.EventHandler // by routing key
	running  bool
	// snapshots answer resync requests, by routing key; see resync.go.
	snapshots map[string]runtime.SnapshotProvider

	ready     chan struct{}
	readyOnce sync.Once

	// workCtx is what deliveries in flight are handled with: it keeps
	// Run's values but is not cancelled when Run's context ends (a
	// shutdown finishes them), only when the shutdown deadline passes.
	// Run sets it before the worker starts.
	workCtx  context.Context
	inFlight inFlight
	outage   outage

	hooks crashHooks
}

// crashHooks let tests stop the worker at the two points where a crash
// matters to the inbox, before the commit and between commit and ack, and
// see an event dead-lettered; see Probe.
type crashHooks struct {
	beforeCommit func(tx store.InboxTx, m runtime.Meta)
	beforeAck    func(m runtime.Meta)
	deadLettered func(m runtime.Meta, reason error)
}

// New checks cfg, applies its defaults and binds the transport. It
// does not connect: Run does, and Publish connects on first use.
func New(cfg Config) (*Service, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("service: invalid config: %w", err)
	}
	m, err := newMetrics(cfg.Metrics)
	if err != nil {
		return nil, fmt.Errorf("service %s: %w", cfg.Contract.Service, err)
	}
	s := &Service{
		cfg:       cfg,
		log:       serviceLogger(cfg),
		metrics:   m,
		publishes: routingKeys(cfg.Contract.Publishes),
		consumes:  routingKeys(cfg.Contract.Consumes),
		orders:    orderRules(cfg.Contract),
		handlers:  map[string]runtime.EventHandler{},
		ready:     make(chan struct{}),
		workCtx:   context.Background(), // Run's own replaces it
	}
	s.reactions = newReactions(cfg.Contract, m.undeclaredEmits, s.log)
	env := s.transportEnv()
	s.transport, err = cfg.Transport.Bind(env)
	if err != nil {
		return nil, fmt.Errorf("service %s: %w", cfg.Contract.Service, err)
	}
	s.tracer = newTracer(cfg, env.Queue, s.transport)
	return s, nil
}

func routingKeys(events []runtime.EventInfo) map[string]bool {
	keys := make(map[string]bool, len(events))
	for _, e := range events {
		keys[runtime.RoutingKey(e.Type, e.Version)] = true
	}
	return keys
}

// names are the broker names of the service's namespace.
func (s *Service) names() names { return names{s.cfg.Namespace} }

// Ready is closed once Run has declared the topology and started
// consuming: from then on every event the service consumes is kept in its
// queue. Use it for readiness probes, and in tests before publishing.
func (s *Service) Ready() <-chan struct{} { return s.ready }

// Topology returns the plan Run declares.
func (s *Service) Topology() TopologyPlan { return Topology(s.cfg) }

// Register adds the handler for one consumed event type. The event must be
// in the contract's Consumes, and registered once, before Run.
func (s *Service) Register(h runtime.EventHandler) error {
	key := runtime.RoutingKey(h.Type, h.Version)
	if h.Handle == nil {
		return fmt.Errorf("handler for %s v%d has no Handle function", h.Type, h.Version)
	}
	if !s.consumes[key] {
		return fmt.Errorf("service %s does not consume %s v%d: add it to the contract's consumes", s.cfg.Contract.Service, h.Type, h.Version)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		return fmt.Errorf("handler for %s v%d registered after Run started", h.Type, h.Version)
	}
	if _, dup := s.handlers[key]; dup {
		return fmt.Errorf("handler for %s v%d registered twice", h.Type, h.Version)
	}
	s.handlers[key] = h
	return nil
}

// Publish sends events of this service's contract straight to the broker
// and returns once the broker confirmed every one of them (persistent,
// routed to at least one queue; ErrUnroutable when no queue is bound). It
// retries across reconnections with the same event IDs until ctx ends, or
// Config.PublishTimeout when ctx has no deadline. Safe for concurrent use:
// confirms are pipelined across callers.
//
// Errors that sending again cannot cure are marked Permanent (IsPermanent
// reports true): an event outside the contract, metadata the marshaler
// rejects, and ErrUnroutable when the event log is disabled. The outbox
// relay sets such an event aside instead of retrying it; anything else
// (broker down, timeout, nack) is transient. With the event log, which
// Run binds to every event of the producer, ErrUnroutable only means that
// the topology is not declared yet, so it stays transient.
func (s *Service) Publish(ctx context.Context, msgs ...*message.Message) error {
	return s.publish(ctx, opPublish, msgs)
}

// publish is Publish, traced as the operation op: a publish, or the
// outbox relay's.
func (s *Service) publish(ctx context.Context, op string, msgs []*message.Message) error {
	for _, msg := range msgs {
		if err := s.checkPublishes(msg); err != nil {
			return err
		}
		if err := s.stamp(msg); err != nil {
			return err
		}
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.cfg.PublishTimeout)
		defer cancel()
	}
	spans := s.tracer.startSends(ctx, op, msgs)
	err := s.transport.Publish(ctx, msgs)
	spans.end(err)
	if err != nil {
		if errors.Is(err, ErrUnroutable) && s.cfg.EventLog.Disabled {
			return runtime.Permanent(err)
		}
		return err
	}
	for _, msg := range msgs {
		s.countPublished(msg)
	}
	return nil
}

// Run migrates the store, connects (retrying the first connection with
// backoff until ctx ends), declares the topology, consumes with the
// registered handlers and relays the outbox, until ctx ends. It then stops
// taking deliveries, finishes the ones in flight (for at most
// Config.ShutdownTimeout), and returns nil after a graceful shutdown, or
// the error that stopped it: a declaration the broker refuses, or handlers
// that did not finish in time.
func (s *Service) Run(ctx context.Context) error {
	if err := s.start(); err != nil {
		return err
	}
	defer s.transport.Close()
	if err := s.cfg.Store.Migrate(ctx); err != nil {
		return fmt.Errorf("service %s: migrate store: %w", s.cfg.Contract.Service, err)
	}
	if err := s.claimOutbox(ctx); err != nil {
		return err
	}
	// The helpers stop when consuming does, not only with ctx: a consumer
	// that gave up must end Run, not leave it waiting for them.
	helpers, stopHelpers := context.WithCancel(ctx)
	relayDone, pruneDone, resyncDone := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go s.relay(helpers, relayDone)
	go s.prune(helpers, pruneDone)
	go s.serveResync(helpers, resyncDone)
	defer func() { stopHelpers(); <-relayDone; <-pruneDone; <-resyncDone }()

	if err := s.consume(ctx); err != nil {
		return fmt.Errorf("service %s: %w", s.cfg.Contract.Service, err)
	}
	return nil
}

// start marks the service running once every consumed event has a handler.
func (s *Service) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		return fmt.Errorf("service %s: Run called twice", s.cfg.Contract.Service)
	}
	var missing []error
	for _, e := range s.cfg.Contract.Consumes {
		if _, ok := s.handlers[runtime.RoutingKey(e.Type, e.Version)]; !ok {
			missing = append(missing, fmt.Errorf("no handler registered for consumed event %s v%d", e.Type, e.Version))
		}
	}
	if err := errors.Join(missing...); err != nil {
		return fmt.Errorf("service %s: %w", s.cfg.Contract.Service, err)
	}
	s.running = true
	return nil
}

// relay forwards the outbox to the broker until ctx ends, restarting the
// store's relay with backoff when it fails.
func (s *Service) relay(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	for attempt := 1; ; attempt++ {
		err := s.cfg.Store.Relay(ctx, relayPublisher{s})
		if ctx.Err() != nil {
			return
		}
		s.log.Error("outbox relay stopped, restarting", "attempt", attempt, "err", err)
		if !sleep(ctx, s.cfg.Connect.delay(attempt)) {
			return
		}
	}
}

// pruneEvery is how often a running service deletes expired inbox rows.
const pruneEvery = time.Hour

// prune deletes inbox rows older than the store's retention, at start and
// then every pruneEvery, when the store supports it.
func (s *Service) prune(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	p, ok := s.cfg.Store.(store.Pruner)
	if !ok {
		return
	}
	for {
		n, err := p.Prune(ctx, p.Retention())
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Warn("prune inbox", "err", err)
		case n > 0:
			s.log.Info("pruned inbox rows", "rows", n, "older_than", p.Retention())
		}
		if !sleep(ctx, pruneEvery) {
			return
		}
	}
}

// Close releases the publisher connection of a service that published
// without Run (Run releases it itself).
func (s *Service) Close() error { return s.transport.Close() }
