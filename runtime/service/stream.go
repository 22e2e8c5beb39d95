package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"
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
