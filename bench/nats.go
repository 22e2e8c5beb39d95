package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wmnats "github.com/ThreeDotsLabs/watermill-nats/v2/pkg/nats"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats.go"

	"github.com/evgenhq/evgen/bench/internal/benchpubevents"
	"github.com/evgenhq/evgen/bench/internal/benchsubevents"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store"
	"github.com/evgenhq/evgen/runtime/store/memory"
	"github.com/evgenhq/evgen/runtime/transport/jetstream"
	"github.com/evgenhq/evgen/runtime/transport/pubsub"
)

// The NATS cases compare evgen over runtime/transport/jetstream with
// watermill-nats by hand, on the same JetStream server; each is the
// other's ceiling, since there is no raw NATS case.
const (
	natsPublishCeiling = "publish-nats-watermill"
	natsConsumeCeiling = "consume-nats-watermill-pg"
)

func natsCases() []benchCase {
	return []benchCase{
		{
			Name: natsPublishCeiling, Group: "publish", Ceiling: natsPublishCeiling,
			About: "watermill-nats (pkg/nats, JetStream, Nats-Msg-Id) by hand, a stream of file storage, -concurrency goroutines each waiting for its publish acknowledgement",
			Run:   publishNATSWatermill,
		},
		{
			Name: "publish-evgen-nats", Group: "publish", Ceiling: natsPublishCeiling,
			About: "the generated publisher over service.Service on jetstream.New, -concurrency goroutines",
			Run:   publishEvgenNATS,
		},
		{
			Name: natsConsumeCeiling, Group: "consume", Ceiling: natsConsumeCeiling,
			About: "watermill-nats subscriber by hand: a durable queue subscription (server default in flight), one database/sql transaction per message",
			Run:   consumeNATSWatermill,
		},
		{
			Name: "consume-evgen-nats-pg-ordered", Group: "consume", Ceiling: natsConsumeCeiling,
			About: "generated consumer over jetstream.New (one event in flight, for order), PostgreSQL inbox, a state row per event, Concurrency 1",
			Run:   consumeEvgenNATS,
		},
	}
}

// natsRun is one NATS case's namespace: its streams are deleted after.
type natsRun struct {
	e         *env
	namespace string
	nc        *nats.Conn
	js        nats.JetStreamContext
}

func (e *env) newNATSRun() (*natsRun, error) {
	nc, err := nats.Connect(e.cfg.NATSURL)
	if err != nil {
		return nil, fmt.Errorf("NATS at %s: %w", e.cfg.NATSURL, err)
	}
	js, err := nc.JetStream()
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("JetStream: %w", err)
	}
	return &natsRun{e: e, namespace: uniqueName("nats"), nc: nc, js: js}, nil
}

// topic is the subject benchpub publishes to.
func (r *natsRun) topic() string { return pubsub.Topic(r.namespace, benchpubevents.Contract.Service) }

// remove deletes the namespace's streams, and with them their consumers.
func (r *natsRun) remove() error {
	defer r.nc.Close()
	var errs []error
	for name := range r.js.StreamNames() {
		if strings.HasPrefix(name, r.namespace+"_") {
			if err := r.js.DeleteStream(name); err != nil && !errors.Is(err, nats.ErrStreamNotFound) {
				errs = append(errs, fmt.Errorf("delete stream %s: %w", name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// service builds one of the two services over JetStream.
func (r *natsRun) service(contract runtime.Contract, st store.Store) (*service.Service, error) {
	svc, err := service.New(service.Config{
		Contract: contract, Store: st, Logger: r.e.runtimeLog(), Namespace: r.namespace,
		Transport: jetstream.New(r.e.cfg.NATSURL, jetstream.Options{}),
	})
	if err != nil {
		return nil, fmt.Errorf("evgen service %s over NATS: %w", contract.Service, err)
	}
	return svc, nil
}

// awaitStored waits until the topic's stream holds want messages.
func (r *natsRun) awaitStored(ctx context.Context, want uint64) error {
	name := jetstream.StreamName(r.topic())
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		info, err := r.js.StreamInfo(name, nats.Context(ctx))
		if err == nil && info.State.Msgs >= want {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("stream %s holds fewer than %d messages: %w", name, want, errors.Join(err, ctx.Err()))
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// publishNATSWatermill times watermill-nats' publisher by hand.
func publishNATSWatermill(ctx context.Context, e *env) (res result, err error) {
	r, err := e.newNATSRun()
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, r.remove()) }()
	topic := r.topic()
	if _, err := r.js.AddStream(&nats.StreamConfig{Name: jetstream.StreamName(topic), Subjects: []string{topic}, Storage: nats.FileStorage}); err != nil {
		return res, fmt.Errorf("create stream: %w", err)
	}
	pub, err := wmnats.NewPublisher(wmnats.PublisherConfig{URL: e.cfg.NATSURL, JetStream: wmnats.JetStreamConfig{TrackMsgId: true}}, watermill.NopLogger{})
	if err != nil {
		return res, fmt.Errorf("watermill-nats publisher: %w", err)
	}
	defer func() { err = errors.Join(err, pub.Close()) }()
	n := e.cfg.Events
	elapsed, err := inParallel(ctx, n, e.cfg.Concurrency, func(ctx context.Context, i int) error {
		return pub.Publish(topic, message.NewMessage(watermill.NewUUID(), newEmailChanged(i, e.cfg.Payload, time.Now()).body()))
	})
	if err != nil {
		return res, err
	}
	if err := r.awaitStored(ctx, uint64(n)); err != nil {
		return res, err
	}
	return throughput(n, elapsed), nil
}

// publishEvgenNATS times the generated publisher over JetStream; its first
// publish, untimed, creates the stream.
func publishEvgenNATS(ctx context.Context, e *env) (res result, err error) {
	r, err := e.newNATSRun()
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, r.remove()) }()
	svc, err := r.service(benchpubevents.Contract, memory.New())
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, svc.Close()) }()
	pub := benchpubevents.NewPublisher(svc)
	n := e.cfg.Events
	if err := pub.PublishEmailChanged(ctx, benchEvent(n, e.cfg.Payload, time.Now())); err != nil {
		return res, fmt.Errorf("first publish: %w", err)
	}
	elapsed, err := inParallel(ctx, n, e.cfg.Concurrency, func(ctx context.Context, i int) error {
		return pub.PublishEmailChanged(ctx, benchEvent(i, e.cfg.Payload, time.Now()))
	})
	if err != nil {
		return res, err
	}
	if err := r.awaitStored(ctx, uint64(n+1)); err != nil {
		return res, err
	}
	return throughput(n, elapsed), nil
}

// prefill publishes n events through the generated publisher.
func (r *natsRun) prefill(ctx context.Context, n int) error {
	svc, err := r.service(benchpubevents.Contract, memory.New())
	if err != nil {
		return err
	}
	defer svc.Close()
	pub := benchpubevents.NewPublisher(svc)
	now := time.Now()
	if _, err := inParallel(ctx, n, r.e.cfg.Concurrency, func(ctx context.Context, i int) error {
		return pub.PublishEmailChanged(ctx, benchEvent(i, r.e.cfg.Payload, now))
	}); err != nil {
		return fmt.Errorf("pre-fill %s: %w", r.topic(), err)
	}
	return r.awaitStored(ctx, uint64(n))
}

// consumeNATSWatermill times a watermill-nats subscriber by hand over a
// pre-filled stream: a durable queue subscription from the first message,
// and for each message a transaction recording its dedup key and state row,
// then Ack.
func consumeNATSWatermill(ctx context.Context, e *env) (res result, err error) {
	r, err := e.newNATSRun()
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, r.remove()) }()
	t, err := e.createStateTables(ctx, "con_natswm")
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, e.dropStateTables(t)) }()
	db, err := e.sqlDB(ctx)
	if err != nil {
		return res, err
	}
	n := e.cfg.Events
	if err := r.prefill(ctx, n); err != nil {
		return res, err
	}
	start := time.Now()
	sub, err := wmnats.NewSubscriber(wmnats.SubscriberConfig{
		URL: e.cfg.NATSURL, QueueGroupPrefix: "byhand",
		JetStream: wmnats.JetStreamConfig{DurablePrefix: "byhand", SubscribeOptions: []nats.SubOpt{nats.DeliverAll(), nats.AckExplicit()}},
	}, watermill.NopLogger{})
	if err != nil {
		return res, fmt.Errorf("watermill-nats subscriber: %w", err)
	}
	defer func() { err = errors.Join(err, sub.Close()) }()
	subCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	msgs, err := sub.Subscribe(subCtx, r.topic())
	if err != nil {
		return res, fmt.Errorf("subscribe %s: %w", r.topic(), err)
	}
	for done := 0; done < n; done++ {
		msg, ok := <-msgs
		if !ok {
			return res, fmt.Errorf("subscription closed after %d of %d messages", done, n)
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return res, fmt.Errorf("begin: %w", err)
		}
		if err := applyOne(ctx, tx, t, msg.UUID, len(msg.Payload)); err != nil {
			return res, errors.Join(err, tx.Rollback())
		}
		if err := tx.Commit(); err != nil {
			return res, fmt.Errorf("commit: %w", err)
		}
		msg.Ack()
	}
	elapsed := time.Since(start)
	if err := e.checkApplied(ctx, t.State, n); err != nil {
		return res, err
	}
	return throughput(n, elapsed), nil
}

// consumeEvgenNATS times the generated consumer over JetStream with a
// PostgreSQL inbox, from service start until every pre-filled event's
// inbox transaction committed. benchsub runs once first, so that its
// durable consumer exists when the stream fills.
func consumeEvgenNATS(ctx context.Context, e *env) (res result, err error) {
	r, err := e.newNATSRun()
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, r.remove()) }()
	cs, err := e.openConsumerStore(ctx, postgresInbox, nil)
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, cs.close()) }()
	first, err := r.service(benchsubevents.Contract, memory.New())
	if err != nil {
		return res, err
	}
	if err := benchsubevents.RegisterHandlers(first, discardHandler{}); err != nil {
		return res, fmt.Errorf("register handlers: %w", err)
	}
	stop, err := (&evgenRun{e: e}).start(ctx, first)
	if err != nil {
		return res, err
	}
	if err := stop(); err != nil {
		return res, err
	}
	n := e.cfg.Events
	if err := r.prefill(ctx, n); err != nil {
		return res, err
	}
	counter := newCommitCounter(n)
	svc, err := r.service(benchsubevents.Contract, trackingStore{Store: cs.store, committed: counter.committed})
	if err != nil {
		return res, err
	}
	if err := benchsubevents.RegisterHandlers(svc, stateHandler{insert: cs.insert}); err != nil {
		return res, fmt.Errorf("register handlers: %w", err)
	}
	elapsed, err := runUntil(ctx, svc, counter.done)
	if err != nil {
		return res, err
	}
	got, err := cs.rows(ctx)
	if err != nil {
		return res, err
	}
	if got != n {
		return res, fmt.Errorf("%d state rows after consuming %d events", got, n)
	}
	return throughput(n, elapsed), nil
}
