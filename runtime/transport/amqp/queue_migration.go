package amqp

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/evgenhq/evgen/runtime/transport"
)

// Upgrading from a runtime that named the service's queue
// "<namespace>.<service>" (transport.Env.OldQueue; the engine names it,
// see service.OldQueueName). A consumer that finds such a queue applies
// what it holds through the same worker and inbox as transport.Env.Queue,
// then deletes it, losing nothing:
//
//  1. declare binds the new queue first, so every event published from
//     then on reaches it;
//  2. the old queue is unbound from every event, so nothing new reaches it
//     but what is sent to it by name;
//  3. when the old queue has no consumer, the session consumes it instead
//     of the new one, through the same worker and inbox: an event in both
//     queues is applied once, and the old events before the new;
//  4. once the old queue has no message ready and every one delivered is
//     settled, the consumer is cancelled, the old queue deleted if it
//     still has no message and no consumer, and the session ends as if
//     the connection were lost: the next one consumes the new queue.
//
// While the old queue has another consumer (a replica of the old version,
// which may hold unacked events that deleting the queue would drop), the
// session consumes the new queue and looks again every migrationRetry.
// Events wait in the old queue meanwhile, none lost. Two upgraded replicas
// may move the old queue at once; each then sees the other's consumer and
// the last to finish deletes it.
//
// RabbitMQ offers no way to rename a queue or move its messages, hence the
// hand-written move. Neither of queue.delete's safety flags fits: quorum
// queues implement neither if-empty nor if-unused (RabbitMQ closes the
// connection with NOT_IMPLEMENTED), and an exclusive consumer does not
// keep others off a quorum queue either (RabbitMQ 3.10, measured). So
// emptiness and consumers are checked just before an unconditional
// delete; the old queue is unbound by then, so only an old replica binding
// it again could put events there in between, and those reach the new
// queue too.

// migrationRetry is how often a session consuming the new queue looks
// again whether an old queue another consumer held is free to move.
var migrationRetry = time.Minute

// queueMigration is a session's move of the old queue.
type queueMigration struct {
	conn *amqp.Connection
	ch   *amqp.Channel // the channel consuming the old queue
	old  string
	tag  string
	log  *slog.Logger
	// acks settles the old queue's deliveries on ch, as the session's
	// acker does for the service's queue (ack.go).
	acks *channelAcks
	// out are the old queue's deliveries as the session takes them;
	// closed once the move ended, which ends the session.
	out chan amqp.Delivery
	// forwarded is closed when the consumer stopped and everything it
	// received was handed on to out.
	forwarded chan struct{}

	mu      sync.Mutex
	pending map[uint64]bool // delivered, not yet settled, by delivery tag
	idle    chan struct{}   // signalled when pending became empty
}

// openMigration starts moving the old queue on conn when there is one,
// and returns nil when there is none (or the engine named none) or the
// move must wait: watch then
// says to look again later (see watchOldQueue). An error is the
// connection's: the old queue's own problems are logged, not fatal, since
// its events stay where they are.
func (b *binding) openMigration(conn *amqp.Connection) (m *queueMigration, watch bool, err error) {
	old := b.env.OldQueue
	if old == "" {
		return nil, false, nil
	}
	q, found, err := passiveDeclare(conn, old)
	if err != nil || !found {
		return nil, false, err
	}
	if err := b.unbindOld(conn, old); err != nil {
		b.env.Logger.Error("cannot move the queue of an older version: its events stay there until the service's user may unbind, read and delete it (see docs/recovery.md)", "queue", old, "err", err)
		return nil, false, nil
	}
	if q.Consumers > 0 {
		b.env.Logger.Warn("the queue of an older version has consumers (replicas of the older version?): consuming the new queue, and moving the old one once it has none", "queue", old, "consumers", q.Consumers, "retry_every", migrationRetry)
		return nil, true, nil
	}
	m, err = b.consumeOld(conn, old)
	if err != nil {
		b.env.Logger.Error("cannot consume the queue of an older version: its events stay there (see docs/recovery.md)", "queue", old, "err", err)
		return nil, false, nil
	}
	b.env.Logger.Info("moving the events of an older version's queue", "queue", old, "messages", q.Messages, "to", b.env.Queue)
	go m.run()
	return m, false, nil
}

// passiveDeclare looks for queue on a channel of its own: a missing queue
// closes the channel.
func passiveDeclare(conn *amqp.Connection, queue string) (amqp.Queue, bool, error) {
	ch, err := conn.Channel()
	if err != nil {
		return amqp.Queue{}, false, fmt.Errorf("open channel: %w", err)
	}
	defer ch.Close()
	q, err := ch.QueueDeclarePassive(queue, true, false, false, false, nil)
	var e *amqp.Error
	if errors.As(err, &e) && e.Code == amqp.NotFound {
		return q, false, nil
	}
	if err != nil {
		return q, false, fmt.Errorf("look for queue %q: %w", queue, err)
	}
	return q, true, nil
}

// unbindOld removes the old queue's bindings: those the plan makes and
// removes for the new queue. Removing a missing binding succeeds.
func (b *binding) unbindOld(conn *amqp.Connection, old string) error {
	ch, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("open channel: %w", err)
	}
	defer ch.Close()
	for _, bd := range slices.Concat(b.env.Plan.Bindings, b.env.Plan.Unbindings) {
		if bd.Queue != b.env.Queue {
			continue
		}
		if err := ch.QueueUnbind(old, bd.RoutingKey, bd.Exchange, nil); err != nil {
			return fmt.Errorf("unbind queue %q from %q with %q: %w", old, bd.Exchange, bd.RoutingKey, err)
		}
	}
	return nil
}

// consumeOld starts consuming the old queue, on a channel of its own.
func (b *binding) consumeOld(conn *amqp.Connection, old string) (*queueMigration, error) {
	ch, err := conn.Channel()
	if err != nil {
		return nil, fmt.Errorf("open channel: %w", err)
	}
	if err := ch.Qos(b.env.Prefetch, 0, false); err != nil {
		return nil, fmt.Errorf("set prefetch: %w", err)
	}
	m := &queueMigration{conn: conn, ch: ch, old: old, tag: b.env.Service + "-move-" + uuid.NewString(), log: b.env.Logger, acks: newChannelAcks(ch.Ack, b.env.Logger),
		out: make(chan amqp.Delivery), forwarded: make(chan struct{}), pending: map[uint64]bool{}, idle: make(chan struct{}, 1)}
	in, err := ch.Consume(old, m.tag, false, false, false, false, nil)
	if err != nil {
		return nil, fmt.Errorf("consume queue %q: %w", old, err)
	}
	go m.forward(in)
	m.idle <- struct{}{} // the old queue may be empty already
	return m, nil
}

// forward hands the old queue's deliveries on, each counted as pending
// first, until the consumer is cancelled or its channel closed.
func (m *queueMigration) forward(in <-chan amqp.Delivery) {
	defer close(m.forwarded)
	closed := m.conn.NotifyClose(make(chan *amqp.Error, 1))
	for d := range in {
		m.mu.Lock()
		m.pending[d.DeliveryTag] = true
		m.mu.Unlock()
		select {
		case m.out <- d:
		case <-closed:
			return
		}
	}
}

// run waits until the old queue has nothing ready and nothing unsettled,
// stops consuming it, deletes it if it is still empty, and ends the
// session. Whatever stops it early (the connection lost, a message put
// back) leaves the old queue to the next session. The session's
// deliveries are closed only once forward stopped sending them.
func (m *queueMigration) run() {
	defer func() {
		<-m.forwarded
		close(m.out)
	}()
	lost := m.ch.NotifyClose(make(chan *amqp.Error, 1))
	empty := m.awaitEmpty()
	// Cancelled also when the move stops early, so that forward ends;
	// an error means the channel is gone, which ends it too.
	if err := m.ch.Cancel(m.tag, false); err != nil || !empty {
		return
	}
	<-m.forwarded
	for !m.settled() {
		select {
		case <-m.idle:
		case <-lost:
			return
		}
	}
	// The acks held for a multiple-ack go out now: each event is applied,
	// and the old queue is deleted with nothing of this session unacked.
	m.acks.flush()
	// Another consumer may hold unacked events of the old queue, which
	// deleting it would drop: it is left to the next session then.
	if q, found, err := passiveDeclare(m.conn, m.old); err != nil || !found || q.Messages > 0 || q.Consumers > 0 {
		return
	}
	// Not with if-empty: quorum queues refuse it (see the top of the file).
	if _, err := m.ch.QueueDelete(m.old, false, false, false); err != nil {
		m.log.Warn("delete the emptied queue of an older version; the next connection tries again", "queue", m.old, "err", err)
		return
	}
	m.log.Info("moved every event of an older version's queue, and deleted it", "queue", m.old)
}

// awaitEmpty waits until every delivery handed on is settled and the old
// queue has no message ready; false when the consumer stopped first.
func (m *queueMigration) awaitEmpty() bool {
	for {
		select {
		case <-m.idle:
		case <-m.forwarded:
			return false
		}
		if !m.settled() {
			continue // settling the rest signals again
		}
		q, found, err := passiveDeclare(m.conn, m.old)
		if err != nil || !found {
			return false
		}
		if q.Messages == 0 {
			return true
		}
		// Messages ready are delivered next, and their settling signals.
	}
}

func (m *queueMigration) settled() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.pending) == 0
}

// settle records that tag, or with through every tag up to it, was acked
// or nacked.
func (m *queueMigration) settle(tag uint64, through bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if through {
		for t := range m.pending {
			if t <= tag {
				delete(m.pending, t)
			}
		}
	}
	delete(m.pending, tag)
	if len(m.pending) == 0 {
		select {
		case m.idle <- struct{}{}:
		default:
		}
	}
}

// movedDelivery is a delivery from the old queue: settling it counts.
// A held ack (AckLater) counts as settled: the event is applied, and run
// flushes the held acks before it deletes the queue.
type movedDelivery struct {
	*delivery
	m *queueMigration
}

func (d movedDelivery) Ack() error {
	defer d.m.settle(d.d.DeliveryTag, false)
	return d.delivery.Ack()
}

func (d movedDelivery) AckLater() error {
	defer d.m.settle(d.d.DeliveryTag, false)
	return d.delivery.AckLater()
}

func (d movedDelivery) AckThrough() error {
	defer d.m.settle(d.d.DeliveryTag, true)
	return d.delivery.AckThrough()
}

func (d movedDelivery) Nack(requeue bool) error {
	defer d.m.settle(d.d.DeliveryTag, false)
	return d.delivery.Nack(requeue)
}

// movedDelivery settles as the session's deliveries do, checked by the
// compiler.
var (
	_ transport.AckThrougher   = movedDelivery{}
	_ transport.AckDeferrer    = movedDelivery{}
	_ transport.Unreadable     = movedDelivery{}
	_ transport.UserIdentified = movedDelivery{}
)

// watchOldQueue looks every migrationRetry whether the old queue, which
// had other consumers when s started, has none left, and then cancels s's
// consumer: the session ends, and the next one moves the old queue.
func (b *binding) watchOldQueue(conn *amqp.Connection, s *consumerSession) {
	old := b.env.OldQueue
	lost := conn.NotifyClose(make(chan *amqp.Error, 1))
	t := time.NewTicker(migrationRetry)
	defer t.Stop()
	for {
		select {
		case <-lost:
			return
		case <-t.C:
		}
		q, found, err := passiveDeclare(conn, old)
		if err != nil || !found {
			return
		}
		if q.Consumers == 0 {
			b.env.Logger.Info("the queue of an older version has no consumer left: restarting the consumer to move it", "queue", old)
			s.restart.Store(true)
			if err := s.ch.Cancel(s.tag, false); err != nil {
				b.env.Logger.Warn("cancel the consumer to move the queue of an older version", "err", err)
			}
			return
		}
	}
}
