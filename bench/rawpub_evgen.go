package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/store/memory"
)

// publishRawEvgenTopology is the publish ceiling for the evgen cases: the
// raw pipelined publisher sending into exactly the broker work evgen's
// publisher causes. publish-raw sends to a fanout exchange with one quorum
// queue, no mandatory flag and one header; evgen sends to its producer's
// topic exchange by routing key, mandatory, with the CloudEvents headers,
// and (unless noEventLog) the exchange also feeds the producer's event log,
// a stream the broker writes a second copy to. Dividing an evgen case by
// this one leaves only the client's own overhead.
func publishRawEvgenTopology(noEventLog bool) func(ctx context.Context, e *env) (result, error) {
	return func(ctx context.Context, e *env) (res result, err error) {
		r, err := e.newEvgenRun(ctx, noEventLog)
		if err != nil {
			return res, err
		}
		defer func() { err = errors.Join(err, r.remove()) }()
		// Running the producer once declares its exchange and event log.
		_, stop, err := r.publisher(ctx, memory.New())
		if err != nil {
			return res, err
		}
		if err := stop(); err != nil {
			return res, err
		}
		b := r.plans[0].Bindings[0]
		p, err := dialPipelined(e.cfg.AMQPURL, e.cfg.Channels)
		if err != nil {
			return res, err
		}
		defer func() { err = errors.Join(err, p.Close()) }()
		n := e.cfg.Events
		elapsed, err := inParallel(ctx, n, e.cfg.Concurrency, func(ctx context.Context, i int) error {
			ev := newEmailChanged(i, e.cfg.Payload, time.Now())
			return p.publishMandatory(ctx, b.Exchange, b.RoutingKey, evgenLikePublishing(ev))
		})
		if err != nil {
			return res, err
		}
		if err := e.awaitDepth(ctx, r.queue, n); err != nil {
			return res, fmt.Errorf("after publishing: %w", err)
		}
		return throughput(n, elapsed), nil
	}
}

// evgenLikePublishing carries ev with the properties and headers the
// runtime's Marshaler sets, so the broker stores as many bytes per event.
func evgenLikePublishing(ev emailChanged) amqp.Publishing {
	id := uuid.Must(uuid.NewV7()).String()
	const typ = "benchpub.EmailChanged"
	return amqp.Publishing{
		MessageId:    id,
		ContentType:  runtime.ContentType,
		DeliveryMode: amqp.Persistent,
		Type:         typ,
		Timestamp:    ev.ChangedAt,
		Body:         ev.body(),
		Headers: amqp.Table{
			runtime.HeaderSpecVersion:   runtime.SpecVersion,
			runtime.HeaderID:            id,
			runtime.HeaderSource:        "benchpub",
			runtime.HeaderType:          typ,
			runtime.HeaderEventVersion:  strconv.Itoa(1),
			runtime.HeaderTime:          ev.ChangedAt.Format(time.RFC3339Nano),
			runtime.HeaderSubject:       ev.UserID,
			runtime.HeaderCorrelationID: id,
		},
	}
}
