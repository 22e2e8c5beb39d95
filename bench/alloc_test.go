package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/evgenhq/evgen/bench/internal/benchpubevents"
	"github.com/evgenhq/evgen/bench/internal/benchsubevents"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
)

// Allocations and bytes per event on the generated paths, without a
// broker: go test -run '^$' -bench . -benchmem ./bench

// wirePublisher turns each message into the AMQP publishing the runtime
// sends, and keeps the last one, so the publish benchmark covers the whole
// path up to the socket.
type wirePublisher struct{ last amqp.Publishing }

func (w *wirePublisher) Publish(_ context.Context, msgs ...*message.Message) error {
	for _, m := range msgs {
		p, err := service.Marshaler{}.Marshal(m)
		if err != nil {
			return err
		}
		w.last = p
	}
	return nil
}

// BenchmarkGeneratedPublish is PublishEmailChanged: validate, encode, the
// CloudEvents metadata, a UUIDv7, and the AMQP publishing.
func BenchmarkGeneratedPublish(b *testing.B) {
	w := &wirePublisher{}
	pub := benchpubevents.NewPublisher(w)
	ev := benchEvent(1, 200, time.Now())
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := pub.PublishEmailChanged(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
}

// registrar keeps the handlers a generated RegisterHandlers gives it.
type registrar struct{ hs []runtime.EventHandler }

func (r *registrar) Register(h runtime.EventHandler) error {
	r.hs = append(r.hs, h)
	return nil
}

type noopHandler struct{}

func (noopHandler) HandleEmailChanged(context.Context, benchsubevents.EmailChanged, runtime.Meta) error {
	return nil
}

// BenchmarkGeneratedDispatch is the consuming side of one delivery without
// the inbox: the AMQP delivery to a Watermill message, then the generated
// handler's decode and validation into the typed event.
func BenchmarkGeneratedDispatch(b *testing.B) {
	w := &wirePublisher{}
	if err := benchpubevents.NewPublisher(w).PublishEmailChanged(context.Background(), benchEvent(1, 200, time.Now())); err != nil {
		b.Fatal(err)
	}
	d := amqp.Delivery{MessageId: w.last.MessageId, Type: w.last.Type, Headers: w.last.Headers, Body: w.last.Body}
	r := &registrar{}
	if err := benchsubevents.RegisterHandlers(r, noopHandler{}); err != nil || len(r.hs) != 1 {
		b.Fatal(errors.Join(err, errors.New("want one handler")))
	}
	h := r.hs[0]
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		msg, err := service.Marshaler{}.Unmarshal(d)
		if err != nil {
			b.Fatal(err)
		}
		if err := h.Handle(ctx, msg.Payload, runtime.Meta{ID: msg.UUID}); err != nil {
			b.Fatal(err)
		}
	}
}
