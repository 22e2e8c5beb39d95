package jetstream

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"

	"github.com/evgenhq/evgen/runtime/transport/pubsub"
)

// prepare creates the streams of t's topics and the group's durable
// consumers, those that do not exist yet. The consumers are created here
// rather than by the subscriptions because nats.go deletes a consumer its
// subscription created when that subscription ends (watermill-nats ends
// them at Close): the consumer would forget its place whenever the
// service stopped.
func (o Options) prepare(ctx context.Context, js nats.JetStreamContext, t pubsub.Topics) error {
	if err := o.ensureStreams(ctx, js, t.All()); err != nil {
		return err
	}
	for _, topic := range t.Subscribe {
		if err := o.ensureConsumer(ctx, js, topic, durableName(t.Group)); err != nil {
			return err
		}
	}
	return nil
}

// consumerConfig is the durable push consumer of a group on one stream,
// to which the group's subscriptions bind.
func (o Options) consumerConfig(durable string) *nats.ConsumerConfig {
	return &nats.ConsumerConfig{
		Durable:        durable,
		DeliverSubject: nats.NewInbox(),
		DeliverGroup:   durable,
		DeliverPolicy:  nats.DeliverNewPolicy,
		AckPolicy:      nats.AckExplicitPolicy,
		AckWait:        o.AckWait,
		MaxAckPending:  o.MaxAckPending,
	}
}

// ensureConsumer creates durable on topic's stream unless it exists. Each
// subscription brings an existing one to the options' settings
// (subscriber.reconcile).
func (o Options) ensureConsumer(ctx context.Context, js nats.JetStreamContext, topic, durable string) error {
	stream := StreamName(topic)
	_, err := js.ConsumerInfo(stream, durable, nats.Context(ctx))
	if err == nil {
		return nil
	}
	if !errors.Is(err, nats.ErrConsumerNotFound) {
		return fmt.Errorf("look up consumer %s of stream %s: %w", durable, stream, err)
	}
	if _, err := js.AddConsumer(stream, o.consumerConfig(durable), nats.Context(ctx)); err != nil && !errors.Is(err, nats.ErrConsumerNameAlreadyInUse) {
		return fmt.Errorf("create consumer %s of stream %s: %w", durable, stream, err)
	}
	return nil
}

// ensureStreams creates the stream of every topic that has none.
func (o Options) ensureStreams(ctx context.Context, js nats.JetStreamContext, topics []string) error {
	for _, topic := range topics {
		name := StreamName(topic)
		_, err := js.StreamInfo(name, nats.Context(ctx))
		if err == nil {
			continue
		}
		if !errors.Is(err, nats.ErrStreamNotFound) {
			return fmt.Errorf("look up stream %s: %w", name, err)
		}
		_, err = js.AddStream(&nats.StreamConfig{
			Name: name, Subjects: []string{topic}, Storage: nats.FileStorage, MaxAge: o.MaxAge,
		}, nats.Context(ctx))
		if err != nil && !errors.Is(err, nats.ErrStreamNameAlreadyInUse) {
			return fmt.Errorf("create stream %s for %s: %w", name, topic, err)
		}
	}
	return nil
}
