package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/transport"
)

// Reading a producer's event log (a RabbitMQ stream) over AMQP 0-9-1, as
// RabbitMQ 3.10 allows it: a consumer with a prefetch limit, manual acks
// (which only grant credit on a stream) and the x-stream-offset argument.
// A stream does not support nack or reject: either closes the channel, so
// a log reader only ever acks.

// headerStreamOffset is the header RabbitMQ sets on every message read
// from a stream: the message's offset in it, an integer.
const headerStreamOffset = "x-stream-offset"

// Sync markers. A sync publishes a marker straight into the producer's
// log, through the default exchange with the log's name as routing key,
// so it lands in the log and nowhere else: through the producer's
// exchange, every queue bound there with "#" would get it too. The sync
// ends when it reads its own marker: the log's tail as of its start.
// Every reader skips markers, including those of older runtimes, which
// went through the producer's exchange with markerRoutingKey.
const (
	markerRoutingKey = "_evgen.sync-marker"
	headerSyncMarker = "x-evgen-sync-marker"
)

// errNoStreamNack is what a log delivery's nack returns: it must not reach
// the broker, which would close the channel.
var errNoStreamNack = errors.New("a stream delivery cannot be nacked")

// amqpLogReader is one read of a producer's event log over its own
// connection: a transport.LogReader. It ends at its sync marker, which
// OpenLog sent into the log after declaring the service's topology.
type amqpLogReader struct {
	b      *amqpBinding
	conn   *amqp.Connection
	log    string
	marker string // the sync ID in this read's marker
	min    int64  // the lowest offset asked for, see minOffset
	tail   int64  // the marker's offset; -1 when not found
	r      *logReader
}

// LogName is the stream producer's events are kept in.
func (b *amqpBinding) LogName(producer string) string { return b.env.names.eventLog(producer) }

// OpenLog declares the service's topology (so its live queue keeps every
// event from now on), checks that producer's log exists, sends a marker
// into it (the tail), looks for the marker's offset (for the progress
// estimate) and starts reading at from.
func (b *amqpBinding) OpenLog(ctx context.Context, producer string, from runtime.SyncFrom, prefetch int) (transport.LogReader, error) {
	conn, err := b.dial(ctx, "sync")
	if err != nil {
		return nil, err
	}
	r, err := b.openLogOn(ctx, conn, producer, from, prefetch)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return r, nil
}

func (b *amqpBinding) openLogOn(ctx context.Context, conn *amqp.Connection, producer string, from runtime.SyncFrom, prefetch int) (*amqpLogReader, error) {
	lr := &amqpLogReader{b: b, conn: conn, log: b.LogName(producer), marker: uuid.NewString(), min: minOffset(from), tail: -1}
	if err := b.prepareLog(conn, lr.log, producer); err != nil {
		return nil, err
	}
	sentAt := time.Now()
	if err := b.sendMarker(ctx, lr.log, lr.marker); err != nil {
		return nil, err
	}
	if tail, ok := markerOffset(ctx, conn, lr.log, lr.marker, sentAt, 5*time.Second); ok {
		lr.tail = tail
	}
	r, err := openLog(conn, lr.log, streamArg(from), prefetch)
	if err != nil {
		return nil, err
	}
	lr.r = r
	b.env.log.Debug("event log opened", "log", lr.log, "from", from.String(), "sync_id", lr.marker)
	return lr, nil
}

// prepareLog declares the service's topology (so the live queue keeps new
// events from now on) and checks that the log exists.
func (b *amqpBinding) prepareLog(conn *amqp.Connection, log, producer string) error {
	ch, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("open channel: %w", err)
	}
	defer ch.Close()
	if err := declare(ch, b.env.plan); err != nil {
		return err
	}
	return checkLog(conn, log, producer)
}

// sendMarker publishes the marker of sync id into log alone (the default
// exchange routes it to the queue of that name), with confirms; an
// unroutable marker means the log is gone.
func (b *amqpBinding) sendMarker(ctx context.Context, log, id string) error {
	out := outgoing{exchange: "", key: log, pub: markerPublishing(id)}
	err := b.pub.send(ctx, []outgoing{out})
	if errors.Is(err, ErrUnroutable) {
		return fmt.Errorf("%w: event log %s does not exist", ErrNoEventLog, log)
	}
	if err != nil {
		return fmt.Errorf("publish sync marker: %w", err)
	}
	return nil
}

// Tail is the offset of this read's marker, when markerOffset found it.
func (lr *amqpLogReader) Tail() (int64, bool) { return lr.tail, lr.tail >= 0 }

// Next returns the next message of the log at or after the offset asked
// for: an event, another sync's marker (acked here, with no Delivery), or
// this read's own marker, the End.
func (lr *amqpLogReader) Next(ctx context.Context) (transport.LogEntry, error) {
	for {
		d, err := lr.r.next(ctx)
		if err != nil {
			return transport.LogEntry{}, err
		}
		off, ok := streamOffset(d)
		if !ok {
			return transport.LogEntry{}, fmt.Errorf("message %s from event log %s has no %s header", d.MessageId, lr.log, headerStreamOffset)
		}
		if off < lr.min {
			_ = d.Ack(false)
			continue
		}
		if id, ok := syncMarker(d); ok {
			if id == lr.marker {
				return transport.LogEntry{Position: off, End: true}, nil
			}
			return transport.LogEntry{Position: off}, d.Ack(false)
		}
		msg, err := Marshaler{}.Unmarshal(d)
		return transport.LogEntry{Position: off, Delivery: &logDelivery{d: d, msg: msg, lr: lr, readErr: err}}, nil
	}
}

// Close closes the reader's channel and connection.
func (lr *amqpLogReader) Close() error {
	lr.r.close()
	return lr.conn.Close()
}

// logDelivery is one message read from a producer's event log. Acking it
// only grants the stream consumer credit; it cannot be put back.
type logDelivery struct {
	d       amqp.Delivery
	msg     *message.Message
	lr      *amqpLogReader
	readErr error // why msg is not a readable event; nil when it is
}

func (l *logDelivery) Message() *message.Message { return l.msg }
func (l *logDelivery) Exchange() string          { return l.d.Exchange }
func (l *logDelivery) RoutingKey() string        { return l.d.RoutingKey }
func (l *logDelivery) Ack() error                { return l.d.Ack(false) }
func (l *logDelivery) Nack(bool) error           { return errNoStreamNack }
func (l *logDelivery) Stale() bool               { return l.lr.r.ch.IsClosed() }
func (l *logDelivery) ReadError() error          { return l.readErr }
func (l *logDelivery) UserID() string            { return l.d.UserId }

// DeadLetter sends a copy to the service's dead-letter queue with
// publisher confirms.
func (l *logDelivery) DeadLetter(ctx context.Context, headers map[string]string) error {
	b := l.lr.b
	return b.pub.send(ctx, []outgoing{{exchange: "", key: b.env.consumer.deadLetterQueue, pub: deadLetterPublishing(l.d, headers)}})
}

// logReader is one consumer of an event log on a channel of its own.
type logReader struct {
	ch         *amqp.Channel
	tag        string
	deliveries <-chan amqp.Delivery
	closed     <-chan *amqp.Error
}

// checkLog fails with a clear error when the producer's log does not exist.
func checkLog(conn *amqp.Connection, log, producer string) error {
	ch, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("open channel: %w", err)
	}
	defer ch.Close()
	if _, err := ch.QueueDeclarePassive(log, true, false, false, false, nil); err != nil {
		var e *amqp.Error
		if errors.As(err, &e) && e.Code == amqp.NotFound {
			return fmt.Errorf("%w: %s has no event log %q: start %s once with this runtime (it declares its log), or check the namespace", ErrNoEventLog, producer, log, producer)
		}
		return fmt.Errorf("check event log %q: %w", log, err)
	}
	return nil
}

// openLog starts reading log at offset, an x-stream-offset value ("first",
// a time.Time or an int64).
func openLog(conn *amqp.Connection, log string, offset any, prefetch int) (*logReader, error) {
	ch, err := conn.Channel()
	if err != nil {
		return nil, fmt.Errorf("open channel: %w", err)
	}
	if err := ch.Qos(prefetch, 0, false); err != nil {
		ch.Close()
		return nil, fmt.Errorf("set prefetch: %w", err)
	}
	r := &logReader{ch: ch, tag: "evgen-log-" + uuid.NewString(), closed: ch.NotifyClose(make(chan *amqp.Error, 1))}
	r.deliveries, err = ch.Consume(log, r.tag, false, false, false, false, amqp.Table{headerStreamOffset: offset})
	if err != nil {
		return nil, fmt.Errorf("read event log %q from %v: %w", log, offset, err)
	}
	return r, nil
}

// close cancels the consumer and closes its channel; a stream consumer
// needs neither nacks nor requeues, so nothing is lost.
func (r *logReader) close() { r.ch.Close() }

// next returns the next message of the log, or an error when ctx ended or
// the channel closed.
func (r *logReader) next(ctx context.Context) (amqp.Delivery, error) {
	select {
	case d, ok := <-r.deliveries:
		if !ok {
			return d, errors.New("event log consumer closed by the broker")
		}
		return d, nil
	case e := <-r.closed:
		return amqp.Delivery{}, fmt.Errorf("event log channel closed: %v", e)
	case <-ctx.Done():
		return amqp.Delivery{}, ctx.Err()
	}
}

// streamArg is the x-stream-offset consume argument for f.
func streamArg(f runtime.SyncFrom) any {
	if t, ok := f.Time(); ok {
		return t
	}
	if off, ok := f.Offset(); ok {
		return off
	}
	return "first"
}

// minOffset is the lowest offset f asks for: RabbitMQ starts a consumer at
// the chunk holding the offset, so a reader skips what comes before it.
func minOffset(f runtime.SyncFrom) int64 {
	off, _ := f.Offset()
	return off
}

// streamOffset reads a log message's offset; false when it has none.
func streamOffset(d amqp.Delivery) (int64, bool) {
	switch v := d.Headers[headerStreamOffset].(type) {
	case int64:
		return v, true
	case int32:
		return int64(v), true
	case int:
		return int64(v), true
	}
	return 0, false
}

// syncMarker returns the sync ID of a marker; false for an event.
func syncMarker(d amqp.Delivery) (string, bool) {
	id, ok := d.Headers[headerSyncMarker].(string)
	// Events reach the log through the producer's exchange; a marker
	// through the default one (or, from an older runtime, with its key).
	return id, ok && (d.Exchange == "" || d.RoutingKey == markerRoutingKey)
}

// markerPublishing is the marker of sync id.
func markerPublishing(id string) amqp.Publishing {
	return amqp.Publishing{
		MessageId:    id,
		Headers:      amqp.Table{headerSyncMarker: id},
		DeliveryMode: amqp.Persistent,
		Timestamp:    time.Now(),
	}
}

// markerOffset finds the offset of marker id in log, for the progress
// estimate. Offsets in RabbitMQ 3.10 cannot be asked for directly, so it
// reads from a little before the marker was sent (stream timestamps have a
// one-second resolution and point at whole chunks) until it meets the
// marker. It gives up after limit and reports false: the sync still works,
// only without an estimate.
func markerOffset(ctx context.Context, conn *amqp.Connection, log, id string, sentAt time.Time, limit time.Duration) (int64, bool) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	r, err := openLog(conn, log, sentAt.Add(-2*time.Second), 500)
	if err != nil {
		return 0, false
	}
	defer r.close()
	for {
		d, err := r.next(ctx)
		if err != nil {
			return 0, false
		}
		_ = d.Ack(false)
		if got, ok := syncMarker(d); ok && got == id {
			return streamOffset(d)
		}
	}
}
