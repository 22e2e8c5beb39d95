package amqp

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/transport"
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
	env  transport.Env

	lifetime context.Context // ends on close: stops reconnecting
	stop     context.CancelFunc

	mu         sync.Mutex
	cur        *pubConn
	connecting chan struct{} // closed when the running connection attempt ends
}

var errPublisherClosed = errors.New("publisher closed")

func newConfirmPublisher(dial func(context.Context, string) (*amqp.Connection, error), env transport.Env) *confirmPublisher {
	ctx, stop := context.WithCancel(context.Background())
	return &confirmPublisher{dial: dial, env: env, lifetime: ctx, stop: stop}
}

func (p *confirmPublisher) close() error {
	p.stop()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cur != nil {
		err := closeConn(p.cur.conn)
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

// Publish sends msgs and waits for all their confirms. Failures that a
// reconnection can cure (a lost connection or channel, a broker nack) are
// retried with the same event IDs until ctx ends; consumers' inboxes drop
// any copy that had in fact arrived.
func (b *binding) Publish(ctx context.Context, msgs []*message.Message) error {
	out := make([]outgoing, len(msgs))
	for i, msg := range msgs {
		var err error
		if out[i], err = b.outgoing(msg); err != nil {
			return err
		}
	}
	return b.pub.send(ctx, out)
}

// outgoing marshals msg and addresses it to its producer's exchange.
func (b *binding) outgoing(msg *message.Message) (outgoing, error) {
	pub, err := Marshaler{}.Marshal(msg)
	if err != nil {
		return outgoing{}, runtime.Permanent(err) // the same metadata fails the same way every time
	}
	return outgoing{b.env.Names.Exchange(msg.Metadata.Get(runtime.HeaderSource)), runtime.RoutingKey(pub.Type, atoiOr0(msg.Metadata.Get(runtime.HeaderEventVersion))), pub}, nil
}

// send publishes out, retrying what failed for a reason other than
// transport.ErrUnroutable until ctx ends.
func (p *confirmPublisher) send(ctx context.Context, out []outgoing) error {
	for attempt := 1; ; attempt++ {
		var err error
		out, err = p.sendOnce(ctx, out)
		if err == nil || errors.Is(err, transport.ErrUnroutable) {
			return err
		}
		if ctx.Err() != nil || p.lifetime.Err() != nil {
			return fmt.Errorf("publish not confirmed (%d attempts): %w", attempt, err)
		}
		p.env.Logger.Debug("publish failed, retrying", "attempt", attempt, "err", err)
		if !sleep(ctx, p.env.RetryDelay(attempt)) {
			return fmt.Errorf("publish not confirmed (%d attempts, last error: %v): %w", attempt, err, ctx.Err())
		}
	}
}

// sendOnce publishes every event of out at once (each on its own
// goroutine when there are several, so their confirms overlap) and returns
// the events not confirmed with the first error, transport.ErrUnroutable first.
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
		if first == nil || errors.Is(err, transport.ErrUnroutable) {
			first = err
		}
	}
	return retry, first
}

// conn returns the open connection, starting a reconnection (a repair of
// its channels, or a new connection) when it is not healthy and waiting for
// it until ctx ends.
func (p *confirmPublisher) conn(ctx context.Context) (*pubConn, error) {
	for {
		p.mu.Lock()
		if p.lifetime.Err() != nil {
			p.mu.Unlock()
			return nil, errPublisherClosed
		}
		cur := p.cur
		if cur != nil && cur.healthy() {
			p.mu.Unlock()
			return cur, nil
		}
		if p.connecting == nil {
			p.connecting = make(chan struct{})
			go p.reconnect(cur, p.connecting)
		}
		wait := p.connecting
		p.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			err := fmt.Errorf("wait for the publisher connection: %w", ctx.Err())
			if cur != nil {
				err = cur.block.explain(ctx, err)
			}
			return nil, err
		}
	}
}

// reconnect repairs old's channels or, when old is nil or its connection
// is lost, opens a new connection, retrying until it succeeds or the
// publisher is closed. It runs apart from the publishes waiting for it: on
// a connection the broker blocks, reopening a channel waits until the block
// clears, and they must be able to give up at their deadlines meanwhile.
func (p *confirmPublisher) reconnect(old *pubConn, done chan struct{}) {
	pc := old
	if old != nil {
		if err := old.repair(); err != nil {
			closeConn(old.conn)
			pc = nil
		}
	}
	if pc == nil {
		pc = p.connect()
	}
	p.mu.Lock()
	switch {
	case pc == nil:
		p.cur = nil
	case p.lifetime.Err() != nil:
		closeConn(pc.conn)
		p.cur = nil
	default:
		p.cur = pc
	}
	p.connecting = nil
	p.mu.Unlock()
	close(done)
}

// connect opens a connection and its confirm channels, retrying until it
// succeeds; nil when the publisher was closed first.
func (p *confirmPublisher) connect() *pubConn {
	for attempt := 1; p.lifetime.Err() == nil; attempt++ {
		conn, err := p.dial(p.lifetime, "publisher")
		if err != nil {
			return nil
		}
		pc, err := openPubConn(conn, p.env.PublisherChannels)
		if err == nil {
			return pc
		}
		p.env.Logger.Warn("open publisher channels failed, reconnecting", "err", err)
		closeConn(conn)
		sleep(p.lifetime, p.env.RetryDelay(attempt))
	}
	return nil
}

// pubConn is one publisher connection with its confirm channels.
type pubConn struct {
	conn  *amqp.Connection
	user  string // the broker user conn authenticated as: every publish's user-id
	block *blockState
	chans []atomic.Pointer[confirmChannel] // replaced in place by repair
	next  atomic.Uint64

	declared sync.Map // exchange name -> *declaration; read on every publish
}

func openPubConn(conn *amqp.Connection, n int) (*pubConn, error) {
	pc := &pubConn{conn: conn, user: connUser(conn), block: watchBlocked(conn), chans: make([]atomic.Pointer[confirmChannel], n)}
	for i := range pc.chans {
		c, err := openConfirmChannel(conn)
		if err != nil {
			return nil, err
		}
		pc.chans[i].Store(c)
	}
	return pc, nil
}

// healthy reports whether the connection and all its channels are open.
func (pc *pubConn) healthy() bool {
	if pc.conn.IsClosed() {
		return false
	}
	for i := range pc.chans {
		if pc.chans[i].Load().closed() {
			return false
		}
	}
	return true
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
// confirm until ctx ends. Nothing is written while the broker blocks the
// connection; when ctx ends because it does, the error wraps
// ErrBrokerBlocked with the broker's reason.
func (pc *pubConn) send(ctx context.Context, o outgoing) error {
	if err := pc.block.wait(ctx); err != nil {
		return err
	}
	if err := pc.ensureExchange(ctx, o.exchange); err != nil {
		return pc.block.explain(ctx, err)
	}
	o.pub.UserId = pc.user
	err := pc.chans[pc.next.Add(1)%uint64(len(pc.chans))].Load().publish(ctx, o)
	return pc.block.explain(ctx, err)
}

// declaration is the declaration of one exchange on a connection, shared
// by the publishes that need it.
type declaration struct {
	done chan struct{}
	err  error // set before done is closed
}

// ensureExchange declares the producer's exchange once per connection, on
// a channel of its own, so a publish never fails for an exchange that no
// consumer has declared yet ("" is the default exchange). The declaration
// runs on a goroutine, for the reason given at confirmChannel.publish: a
// blocked broker does not answer it, and the publish gives up at ctx's end
// while it goes on. A failed declaration is forgotten, so the next publish
// tries again.
func (pc *pubConn) ensureExchange(ctx context.Context, name string) error {
	if name == "" {
		return nil
	}
	v, ok := pc.declared.Load(name)
	if !ok {
		d := &declaration{done: make(chan struct{})}
		if v, ok = pc.declared.LoadOrStore(name, d); !ok {
			go pc.declare(name, d)
		}
	}
	d := v.(*declaration)
	select {
	case <-d.done:
		return d.err
	case <-ctx.Done():
		return fmt.Errorf("declare exchange %q: %w", name, ctx.Err())
	}
}

func (pc *pubConn) declare(name string, d *declaration) {
	defer close(d.done)
	ch, err := pc.conn.Channel()
	if err != nil {
		d.err = fmt.Errorf("open channel: %w", err)
	} else {
		d.err = declareExchange(ch, name)
		ch.Close()
	}
	if d.err != nil {
		pc.declared.CompareAndDelete(name, d)
	}
}

// connUser is the user conn logged in as with a password, from its URL;
// "" for other mechanisms (EXTERNAL, a client certificate), where the
// client does not know the name the broker gives it. RabbitMQ refuses a
// user-id other than the connection's user, so a consumer that finds the
// producer's user in it knows who published (Config.PublisherUsers).
func connUser(conn *amqp.Connection) string {
	for _, a := range conn.Config.SASL {
		switch a := a.(type) {
		case *amqp.PlainAuth:
			return a.Username
		case *amqp.AMQPlainAuth:
			return a.Username
		}
	}
	return ""
}
