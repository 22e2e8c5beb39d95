package runtime

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/ThreeDotsLabs/watermill/message"
	amqp "github.com/rabbitmq/amqp091-go"
)

// confirmPublisher publishes with confirms pipelined across goroutines.
//
// watermill-amqp's publisher sends one message and waits for its confirm
// before the next on the same channel, so throughput is one event per round
// trip per pooled channel. Here any number of goroutines publish on a few
// confirm-mode channels at once; each waits only for its own confirm, which
// a matcher goroutine per channel hands over as the broker's (possibly
// multiple) acks arrive. The broker thus has many events in flight, as in
// RabbitMQ's own guidance for publisher confirms.
type confirmPublisher struct {
	dial func(ctx context.Context, role string) (*amqp.Connection, error)
	env  transportEnv

	lifetime context.Context // ends on close: stops reconnecting
	stop     context.CancelFunc

	mu         sync.Mutex
	cur        *pubConn
	connecting chan struct{} // closed when the running connection attempt ends
}

var errPublisherClosed = errors.New("publisher closed")

func newConfirmPublisher(dial func(context.Context, string) (*amqp.Connection, error), env transportEnv) *confirmPublisher {
	ctx, stop := context.WithCancel(context.Background())
	return &confirmPublisher{dial: dial, env: env, lifetime: ctx, stop: stop}
}

func (p *confirmPublisher) close() error {
	p.stop()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cur != nil {
		err := p.cur.conn.Close()
		p.cur = nil
		if err != nil && !errors.Is(err, amqp.ErrClosed) {
			return fmt.Errorf("close publisher connection: %w", err)
		}
	}
	return nil
}

// outgoing is one event on its way to the broker.
type outgoing struct {
	exchange, key string
	pub           amqp.Publishing
}

// publish sends msgs and waits for all their confirms. Failures that a
// reconnection can cure (a lost connection or channel, a broker nack) are
// retried with the same event IDs until ctx ends; consumers' inboxes drop
// any copy that had in fact arrived.
func (b *amqpBinding) publish(ctx context.Context, msgs []*message.Message) error {
	out := make([]outgoing, len(msgs))
	for i, msg := range msgs {
		pub, err := Marshaler{}.Marshal(msg)
		if err != nil {
			return Permanent(err) // the same metadata fails the same way every time
		}
		out[i] = outgoing{b.env.names.exchange(msg.Metadata.Get(HeaderSource)), RoutingKey(pub.Type, atoiOr0(msg.Metadata.Get(HeaderEventVersion))), pub}
	}
	return b.pub.send(ctx, out)
}

// send publishes out, retrying what failed for a reason other than
// ErrUnroutable until ctx ends.
func (p *confirmPublisher) send(ctx context.Context, out []outgoing) error {
	for attempt := 1; ; attempt++ {
		var err error
		out, err = p.sendOnce(ctx, out)
		if err == nil || errors.Is(err, ErrUnroutable) {
			return err
		}
		if ctx.Err() != nil || p.lifetime.Err() != nil {
			return fmt.Errorf("publish not confirmed (%d attempts): %w", attempt, err)
		}
		p.env.log.Debug("publish failed, retrying", "attempt", attempt, "err", err)
		if !sleep(ctx, p.env.cfg.Connect.delay(attempt)) {
			return fmt.Errorf("publish not confirmed (%d attempts, last error: %v): %w", attempt, err, ctx.Err())
		}
	}
}

// sendOnce publishes every event of out at once (each on its own
// goroutine when there are several, so their confirms overlap) and returns
// the events not confirmed with the first error, ErrUnroutable first.
func (p *confirmPublisher) sendOnce(ctx context.Context, out []outgoing) ([]outgoing, error) {
	pc, err := p.conn(ctx)
	if err != nil {
		return out, err
	}
	if len(out) == 1 {
		if err := pc.send(ctx, out[0]); err != nil {
			return out, err
		}
		return nil, nil
	}
	errs := make([]error, len(out))
	var wg sync.WaitGroup
	for i, o := range out {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = pc.send(ctx, o)
		}()
	}
	wg.Wait()
	var retry []outgoing
	var first error
	for i, err := range errs {
		if err == nil {
			continue
		}
		retry = append(retry, out[i])
		if first == nil || errors.Is(err, ErrUnroutable) {
			first = err
		}
	}
	return retry, first
}

// conn returns the open connection, starting a connection attempt (with
// backoff) when there is none and waiting for it until ctx ends.
func (p *confirmPublisher) conn(ctx context.Context) (*pubConn, error) {
	for {
		p.mu.Lock()
		if p.lifetime.Err() != nil {
			p.mu.Unlock()
			return nil, errPublisherClosed
		}
		if p.cur != nil && p.cur.repair() == nil {
			pc := p.cur
			p.mu.Unlock()
			return pc, nil
		}
		if p.cur != nil {
			p.cur.conn.Close()
			p.cur = nil
		}
		if p.connecting == nil {
			p.connecting = make(chan struct{})
			go p.connect(p.connecting)
		}
		wait := p.connecting
		p.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// connect opens a connection and its confirm channels, retrying until it
// succeeds or the publisher is closed.
func (p *confirmPublisher) connect(done chan struct{}) {
	var pc *pubConn
	for attempt := 1; pc == nil && p.lifetime.Err() == nil; attempt++ {
		conn, err := p.dial(p.lifetime, "publisher")
		if err != nil {
			break
		}
		pc, err = openPubConn(conn, p.env.cfg.PublisherChannels)
		if err != nil {
			p.env.log.Warn("open publisher channels failed, reconnecting", "err", err)
			conn.Close()
			sleep(p.lifetime, p.env.cfg.Connect.delay(attempt))
		}
	}
	p.mu.Lock()
	if pc != nil {
		if p.lifetime.Err() != nil {
			pc.conn.Close()
		} else {
			p.cur = pc
		}
	}
	p.connecting = nil
	p.mu.Unlock()
	close(done)
}

// pubConn is one publisher connection with its confirm channels.
type pubConn struct {
	conn  *amqp.Connection
	chans []atomic.Pointer[confirmChannel] // replaced in place by repair
	next  atomic.Uint64

	declMu   sync.Mutex
	declared sync.Map // exchange name -> true; read on every publish
}

func openPubConn(conn *amqp.Connection, n int) (*pubConn, error) {
	pc := &pubConn{conn: conn, chans: make([]atomic.Pointer[confirmChannel], n)}
	for i := range pc.chans {
		c, err := openConfirmChannel(conn)
		if err != nil {
			return nil, err
		}
		pc.chans[i].Store(c)
	}
	return pc, nil
}

// repair reopens the channels a channel error closed, or fails when the
// connection is lost. It keeps the connection: closing it would also fail
// the publishes in flight on its other channels, whose confirms are still
// on their way, and their retries would send events the broker already
// routed a second time. The caller serialises repairs.
func (pc *pubConn) repair() error {
	if pc.conn.IsClosed() {
		return amqp.ErrClosed
	}
	for i := range pc.chans {
		if !pc.chans[i].Load().closed() {
			continue
		}
		c, err := openConfirmChannel(pc.conn)
		if err != nil {
			return err
		}
		pc.chans[i].Store(c)
	}
	return nil
}

// send publishes o on the next channel, round-robin, and waits for its
// confirm.
func (pc *pubConn) send(ctx context.Context, o outgoing) error {
	if err := pc.ensureExchange(o.exchange); err != nil {
		return err
	}
	return pc.chans[pc.next.Add(1)%uint64(len(pc.chans))].Load().publish(ctx, o)
}

// ensureExchange declares the producer's exchange once per connection, on
// a channel of its own, so a publish never fails for an exchange that no
// consumer has declared yet ("" is the default exchange).
func (pc *pubConn) ensureExchange(name string) error {
	if _, ok := pc.declared.Load(name); ok || name == "" {
		return nil
	}
	pc.declMu.Lock()
	defer pc.declMu.Unlock()
	if _, ok := pc.declared.Load(name); ok {
		return nil
	}
	ch, err := pc.conn.Channel()
	if err != nil {
		return fmt.Errorf("open channel: %w", err)
	}
	defer ch.Close()
	if err := declareExchange(ch, name); err != nil {
		return err
	}
	pc.declared.Store(name, true)
	return nil
}
