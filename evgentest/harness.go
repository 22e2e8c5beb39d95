package evgentest

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	goruntime "runtime"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store"
	"github.com/evgenhq/evgen/runtime/store/memory"
)

// Service is a service under test: its handlers, registered through its
// generated RegisterHandlers, running in a real service.Service on the
// in-process transport with a SQLite inbox and outbox in memory, so that
// service.Tx and service.TxPublisher work as in production. Deliver hands
// it an event as its producer would publish it and returns once the
// event's inbox transaction committed or the event was dead-lettered.
type Service[H any] struct {
	t        testing.TB
	spec     Spec[H]
	db       *sql.DB
	store    *recordingStore
	bus      *service.InProcessBus
	handlers H
	log      *slog.Logger
	// Wait bounds each Deliver; default 10s. An event still unsettled
	// then fails the test instead of hanging it.
	Wait time.Duration

	producers map[string]*service.Service
	stop      func() error // stops the running instance

	mu          sync.Mutex
	pending     map[string]*pending // by event ID, while delivered
	deadLetters []DeadLetter
	published   []*message.Message
}

// Delivered is what became of one delivered event.
type Delivered struct {
	// Meta is the event as the handler saw it (Attempt is the last one).
	Meta runtime.Meta
	// Handled is true when the handler ran and its inbox transaction
	// committed; Duplicate when the inbox had applied the event before,
	// so the handler did not run.
	Handled, Duplicate bool
	// DeadLettered is true when the event went to the dead-letter queue,
	// for Reason: the handler's last error, a payload that does not decode
	// or validate, or an event the service has no handler for.
	DeadLettered bool
	Reason       string
	// Published is what the handler published in its committed
	// transaction, in order; EventsOf decodes it.
	Published []*message.Message
}

// String is one line for failure messages: "handled", "duplicate" or
// "dead-lettered: <reason>".
func (d Delivered) String() string {
	switch {
	case d.DeadLettered:
		return "dead-lettered: " + d.Reason
	case d.Duplicate:
		return "duplicate (the inbox dropped it)"
	case d.Handled:
		return "handled"
	}
	return "not settled"
}

// DeadLetter is an event the service dead-lettered: the event as
// delivered (EventsOf decodes it) and why.
type DeadLetter struct {
	Meta    runtime.Meta
	Reason  string
	Message *message.Message
}

// Crash names the point where CrashAndRedeliver stops the service's
// worker, as a crash of the process would.
type Crash int

const (
	// CrashBeforeCommit stops the worker after the handler returned,
	// before the inbox transaction commits: the database rolls it back
	// and the redelivery runs the handler again. Whatever the handler did
	// outside service.Tx happens twice.
	CrashBeforeCommit Crash = iota + 1
	// CrashBeforeAck stops the worker after the inbox transaction
	// committed, before the ack: the broker redelivers the event and the
	// inbox drops it.
	CrashBeforeAck
)

func (c Crash) String() string {
	if c == CrashBeforeCommit {
		return "crash before the commit"
	}
	return "crash between commit and ack"
}

// pending is one event being delivered: what its attempts did so far.
type pending struct {
	msg       *message.Message
	crash     Crash // 0, or where to crash once
	crashed   chan struct{}
	done      chan Delivered
	ran       bool
	published []*message.Message
}

// Start builds the service of spec on a new in-memory database and runs
// it until the test ends.
func Start[H any](t testing.TB, spec Spec[H]) *Service[H] {
	t.Helper()
	s, err := start(t, spec, slog.LevelInfo)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.close)
	return s
}

// start builds and runs the service of spec; close stops it.
func start[H any](t testing.TB, spec Spec[H], level slog.Level) (*Service[H], error) {
	db, err := openMemory()
	if err != nil {
		return nil, err
	}
	s := &Service[H]{
		t: t, spec: spec, db: db, bus: service.NewInProcessBus(), Wait: 10 * time.Second,
		log:       slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: level})),
		producers: map[string]*service.Service{}, pending: map[string]*pending{},
	}
	if s.store, err = newStore(db, s.recordPublished); err == nil {
		s.handlers, err = spec.build(context.Background(), db)
	}
	if err == nil {
		err = s.run()
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// run starts an instance of the service and waits until it consumes.
func (s *Service[H]) run() error {
	name := s.spec.contract.Service
	svc, err := service.New(service.Config{
		Contract: s.spec.contract, Transport: service.InProcess(s.bus), Store: s.store, Logger: s.log,
		Retry:           service.RetryPolicy{MaxAttempts: s.spec.maxAttempts(), Backoff: service.Backoff{Initial: time.Millisecond, Max: time.Millisecond}},
		ShutdownTimeout: 5 * time.Second,
	})
	if err != nil {
		return fmt.Errorf("evgentest: service %s: %w", name, err)
	}
	service.SetProbe(svc, service.Probe{BeforeCommit: s.beforeCommit, BeforeAck: s.beforeAck, DeadLettered: s.deadLettered})
	if err := s.spec.register(registrar{svc, s.handlerRan}, s.handlers); err != nil {
		return fmt.Errorf("evgentest: register the handlers of %s: %w", name, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	select {
	case <-svc.Ready():
	case err := <-done:
		cancel()
		return fmt.Errorf("evgentest: run %s: %w", name, err)
	}
	s.stop = func() error { cancel(); return <-done }
	return nil
}

// close stops the service and its producers and closes the database.
func (s *Service[H]) close() {
	if err := s.stop(); err != nil {
		s.t.Errorf("evgentest: stop %s: %v", s.spec.contract.Service, err)
	}
	for _, p := range s.producers {
		p.Close()
	}
	s.db.Close()
}

// DB is the service's database: its own tables, the inbox and the outbox.
// Read it between deliveries; a handler's transaction holds its only
// connection meanwhile.
func (s *Service[H]) DB() *sql.DB { return s.db }

// Handlers is what spec's build returned.
func (s *Service[H]) Handlers() H { return s.handlers }

// Bus is the in-process broker the service runs on: what the outbox
// relayed is in its Published.
func (s *Service[H]) Bus() *service.InProcessBus { return s.bus }

// Deliver publishes e as its producer would (validated, with its
// CloudEvents metadata; opts as for Publish, such as runtime.WithID to
// deliver one event twice) and returns what became of it once its inbox
// transaction committed or it was dead-lettered, after the retries. It
// fails the test when e is not an event the service consumes or nothing
// settled it within Wait.
func (s *Service[H]) Deliver(e runtime.Event, opts ...runtime.PublishOption) Delivered {
	s.t.Helper()
	msg, err := runtime.NewMessage(context.Background(), e, opts...)
	if err != nil {
		s.t.Fatalf("evgentest: %v", err)
	}
	return s.DeliverMessage(msg)
}

// DeliverMessage is Deliver for a message built by hand, such as one whose
// payload breaks the contract.
func (s *Service[H]) DeliverMessage(msg *message.Message) Delivered {
	s.t.Helper()
	d, err := s.deliver(msg, 0)
	if err != nil {
		s.t.Fatal(err)
	}
	return d
}

// CrashAndRedeliver delivers e, stops the service's worker at the crash
// point, as a crash of the process would (the event stays unacked in the
// queue), starts the service again on the same database with the same
// handlers, and returns what became of the redelivered event. With
// CrashBeforeAck a correct service reports a duplicate. An event that is
// dead-lettered before reaching the crash point is returned as such.
func (s *Service[H]) CrashAndRedeliver(crash Crash, e runtime.Event, opts ...runtime.PublishOption) Delivered {
	s.t.Helper()
	msg, err := runtime.NewMessage(context.Background(), e, opts...)
	if err != nil {
		s.t.Fatalf("evgentest: %v", err)
	}
	d, err := s.deliver(msg, crash)
	if err != nil {
		s.t.Fatal(err)
	}
	return d
}

// deliver publishes msg through its producer and waits for its outcome;
// with a crash point, it crashes there, restarts and waits for the
// redelivery's outcome.
func (s *Service[H]) deliver(msg *message.Message, crash Crash) (Delivered, error) {
	producer, err := s.producer(msg)
	if err != nil {
		return Delivered{}, err
	}
	p := s.expect(msg, crash)
	defer s.forget(msg.UUID)
	ctx, cancel := context.WithTimeout(context.Background(), s.Wait)
	defer cancel()
	if err := producer.Publish(ctx, msg); err != nil {
		return Delivered{}, fmt.Errorf("evgentest: publish %s: %w", msg.UUID, err)
	}
	select {
	case d := <-p.done:
		return d, nil
	case <-p.crashed:
	case <-ctx.Done():
		return Delivered{}, s.unsettled(msg)
	}
	if err := s.restart(msg.UUID); err != nil {
		return Delivered{}, err
	}
	select {
	case d := <-p.done:
		return d, nil
	case <-ctx.Done():
		return Delivered{}, s.unsettled(msg)
	}
}

// unsettled is the error for an event that Wait did not see settle.
func (s *Service[H]) unsettled(msg *message.Message) error {
	return fmt.Errorf("evgentest: event %s (%s) was neither committed nor dead-lettered within %v: does a handler block? "+
		"The SQLite database has one connection, so a handler that writes through the *sql.DB instead of service.Tx(ctx) waits for itself",
		msg.UUID, msg.Metadata.Get(runtime.HeaderType), s.Wait)
}

// restart stops the instance whose worker crashed and starts another; the
// redelivery of id is then expected afresh.
func (s *Service[H]) restart(id string) error {
	if err := s.stop(); err != nil {
		return fmt.Errorf("evgentest: stop %s after the crash: %w", s.spec.contract.Service, err)
	}
	s.mu.Lock()
	if p := s.pending[id]; p != nil {
		p.ran, p.published = false, nil
	}
	s.mu.Unlock()
	return s.run()
}

// producer is the service that publishes msg's events to this one, made
// from this service's contract.
func (s *Service[H]) producer(msg *message.Message) (*service.Service, error) {
	name := msg.Metadata.Get(runtime.HeaderSource)
	if p := s.producers[name]; p != nil {
		return p, nil
	}
	c, ok := s.spec.producerContract(name)
	if !ok {
		return nil, fmt.Errorf("evgentest: service %s consumes nothing from %q (event %s, %s): deliver an event its contract consumes",
			s.spec.contract.Service, name, msg.UUID, msg.Metadata.Get(runtime.HeaderType))
	}
	p, err := service.New(service.Config{Contract: c, Transport: service.InProcess(s.bus), Store: memory.New(), Logger: s.log})
	if err != nil {
		return nil, fmt.Errorf("evgentest: producer %s: %w", name, err)
	}
	s.producers[name] = p
	return p, nil
}

// expect starts following the event msg.
func (s *Service[H]) expect(msg *message.Message, crash Crash) *pending {
	p := &pending{msg: msg.Copy(), crash: crash, crashed: make(chan struct{}), done: make(chan Delivered, 1)}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending[msg.UUID] = p
	return p
}

func (s *Service[H]) forget(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.pending, id)
}

// follow returns what is followed of the event id, nil if nothing.
func (s *Service[H]) follow(id string) *pending {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pending[id]
}

// handlerRan records that the handler of event id returned err; an
// attempt that failed published nothing.
func (s *Service[H]) handlerRan(id string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.pending[id]; p != nil {
		p.ran = err == nil
		if err != nil {
			p.published = nil
		}
	}
}

// recordPublished keeps what the handler of event incoming published.
func (s *Service[H]) recordPublished(incoming string, msgs []*message.Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.pending[incoming]; p != nil {
		p.published = append(p.published, msgs...)
	}
}

// beforeCommit crashes the worker where asked, once: the database rolls
// back a crashed process's transaction, so it is rolled back here.
func (s *Service[H]) beforeCommit(tx store.InboxTx, m runtime.Meta) {
	p := s.follow(m.ID)
	if p == nil || p.crash != CrashBeforeCommit {
		return
	}
	p.crash = 0
	if err := tx.Rollback(); err != nil {
		s.log.Error("evgentest: roll back at the simulated crash", "err", err)
	}
	close(p.crashed)
	goruntime.Goexit()
}

// beforeAck settles the event, or crashes the worker where asked, once.
func (s *Service[H]) beforeAck(m runtime.Meta) {
	p := s.follow(m.ID)
	if p == nil {
		return
	}
	if p.crash == CrashBeforeAck {
		p.crash = 0
		s.mu.Lock()
		s.published = append(s.published, p.published...) // committed
		s.mu.Unlock()
		close(p.crashed)
		goruntime.Goexit()
	}
	s.mu.Lock()
	d := Delivered{Meta: m, Handled: p.ran, Duplicate: !p.ran, Published: p.published}
	s.published = append(s.published, p.published...)
	s.mu.Unlock()
	p.done <- d
}

// deadLettered settles a dead-lettered event.
func (s *Service[H]) deadLettered(m runtime.Meta, reason error) {
	p := s.follow(m.ID)
	if p == nil {
		return
	}
	s.mu.Lock()
	s.deadLetters = append(s.deadLetters, DeadLetter{Meta: m, Reason: reason.Error(), Message: p.msg})
	s.mu.Unlock()
	p.done <- Delivered{Meta: m, DeadLettered: true, Reason: reason.Error()}
}

// Published is everything the handlers published in committed
// transactions, in order; EventsOf decodes it.
func (s *Service[H]) Published() []*message.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*message.Message(nil), s.published...)
}

// DeadLetters is every event the service dead-lettered, in order.
func (s *Service[H]) DeadLetters() []DeadLetter {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]DeadLetter(nil), s.deadLetters...)
}

// registrar registers a service's handlers, each reporting its result to
// ran, so that the harness tells a handled event from a duplicate.
type registrar struct {
	svc *service.Service
	ran func(id string, err error)
}

func (r registrar) Register(h runtime.EventHandler) error {
	handle := h.Handle
	h.Handle = func(ctx context.Context, payload []byte, m runtime.Meta) error {
		err := handle(ctx, payload, m)
		r.ran(m.ID, err)
		return err
	}
	return r.svc.Register(h)
}
