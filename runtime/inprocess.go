package runtime

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"
)

// NewInProcessBus returns the Watermill gochannel Pub/Sub that services in
// one process share with InProcess. It keeps every event for subscribers
// that come later (so services may start in any order), in memory only.
// It logs to slog.Default, with Watermill's per-message info logs ("No
// subscribers to send message") lowered to debug.
func NewInProcessBus() *gochannel.GoChannel {
	logger := watermill.NewSlogLoggerWithLevelMapping(slog.Default(), map[slog.Level]slog.Level{slog.LevelInfo: slog.LevelDebug})
	return gochannel.NewGoChannel(gochannel.Config{Persistent: true}, logger)
}

// InProcess returns a transport over bus, for unit tests and for demos
// without RabbitMQ. It keeps the topology's shape (each consuming service
// gets every event it subscribed to; dead letters go to the topic
// "<namespace>.<service>.dlq") but none of the broker's promises: nothing
// survives the process, replicas of one service in one process each get
// every event (their shared inbox keeps the effect once), and an event no
// one subscribed to is kept for a later subscriber rather than refused.
func InProcess(bus *gochannel.GoChannel) Transport { return inProcessTransport{bus} }

type inProcessTransport struct{ bus *gochannel.GoChannel }

func (t inProcessTransport) bind(env transportEnv) (binding, error) {
	if t.bus == nil {
		return nil, fmt.Errorf("InProcess: bus is nil; use runtime.NewInProcessBus()")
	}
	return &inProcessBinding{bus: t.bus, env: env}, nil
}

type inProcessBinding struct {
	bus *gochannel.GoChannel
	env transportEnv
}

// topic is where an event of a producer's routing key travels on the bus.
func (b *inProcessBinding) topic(exchange, routingKey string) string {
	return exchange + ":" + routingKey
}

func (b *inProcessBinding) publish(_ context.Context, msgs []*message.Message) error {
	for _, msg := range msgs {
		key := RoutingKey(msg.Metadata.Get(HeaderType), atoiOr0(msg.Metadata.Get(HeaderEventVersion)))
		topic := b.topic(b.env.names.exchange(msg.Metadata.Get(HeaderSource)), key)
		if err := b.bus.Publish(topic, msg.Copy()); err != nil {
			return fmt.Errorf("publish to in-process topic %q: %w", topic, err)
		}
	}
	return nil
}

// consume subscribes to the topic of every binding and merges them into
// out until ctx ends.
func (b *inProcessBinding) consume(ctx context.Context, out chan<- *delivery, workerDone <-chan struct{}, ready func()) error {
	subCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	defer func() {
		wg.Wait()
		close(out)
		<-workerDone
		cancel()
	}()
	for _, bd := range b.env.plan.Bindings {
		msgs, err := b.bus.Subscribe(subCtx, b.topic(bd.Exchange, bd.RoutingKey))
		if err != nil {
			return fmt.Errorf("subscribe to in-process topic: %w", err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.forward(ctx, msgs, out, bd)
		}()
	}
	ready()
	<-ctx.Done()
	return nil
}

// forward hands messages of one subscription to out until ctx ends.
func (b *inProcessBinding) forward(ctx context.Context, msgs <-chan *message.Message, out chan<- *delivery, bd BindingSpec) {
	for {
		select {
		case <-ctx.Done():
			return
		case msg, ok := <-msgs:
			if !ok {
				return
			}
			select {
			case out <- b.wrap(msg, bd):
			case <-ctx.Done():
				msg.Nack()
				return
			}
		}
	}
}

func (b *inProcessBinding) wrap(msg *message.Message, bd BindingSpec) *delivery {
	dlq := b.env.consumer.deadLetterQueue
	return &delivery{
		msg:        msg,
		exchange:   bd.Exchange,
		routingKey: bd.RoutingKey,
		ack:        func() error { msg.Ack(); return nil },
		nack:       func(bool) error { msg.Nack(); return nil },
		deadLetter: func(_ context.Context, headers map[string]string) error {
			dead := msg.Copy()
			for k, v := range headers {
				dead.Metadata.Set(k, v)
			}
			return b.bus.Publish(dlq, dead)
		},
	}
}

func (b *inProcessBinding) close() error { return nil }
