package jetstream

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/transport"
	"github.com/evgenhq/evgen/runtime/transport/pubsub"
)

// A producer's stream is its event log (transport.EventLog): a position
// is a stream sequence, the tail is the stream's last sequence when the
// read opens, and a read is a nats.go ordered consumer (ephemeral, no
// acks, recreated by nats.go from the last sequence it saw if a message
// goes missing) that starts at the position, the time or the stream's
// first event asked for.

// LogName is the stream producer's events are kept in ("evgen_users").
func (b *binding) LogName(producer string) string {
	return StreamName(pubsub.Topic(b.env.Namespace, producer))
}

// OpenLog creates, unless they exist, the service's durable consumer of
// producer's stream (which keeps every event published from then on for
// the service's Run) and its dead-letter stream, then fixes the tail and
// starts reading at from. The prefetch is nats.go's: an ordered consumer
// is flow-controlled by the server.
func (b *binding) OpenLog(ctx context.Context, producer string, from runtime.SyncFrom, _ int) (transport.LogReader, error) {
	topic := pubsub.Topic(b.env.Namespace, producer)
	stream := StreamName(topic)
	if _, err := b.js.StreamInfo(stream, nats.Context(ctx)); err != nil {
		if errors.Is(err, nats.ErrStreamNotFound) {
			return nil, fmt.Errorf("%w: %s has no stream %s yet: start %s or this service once (either creates it), or check the namespace", transport.ErrNoEventLog, producer, stream, producer)
		}
		return nil, fmt.Errorf("look up stream %s: %w", stream, err)
	}
	if err := b.opts.ensureStreams(ctx, b.js, []string{b.dlq}); err != nil {
		return nil, err
	}
	if err := b.opts.ensureConsumer(ctx, b.js, topic, durableName(pubsub.Group(b.env.Namespace, b.env.Service))); err != nil {
		return nil, err
	}
	info, err := b.js.StreamInfo(stream, nats.Context(ctx)) // after the consumer: the tail
	if err != nil {
		return nil, fmt.Errorf("look up stream %s: %w", stream, err)
	}
	r := &logReader{b: b, topic: topic, stream: stream, tail: info.State.LastSeq}
	if r.nothingToRead(ctx, info.State, from) {
		r.empty = true
		return r, nil
	}
	r.sub, err = b.js.SubscribeSync(topic, nats.OrderedConsumer(), nats.BindStream(stream), startAt(from))
	if err != nil {
		return nil, fmt.Errorf("read stream %s from %s: %w", stream, from, err)
	}
	b.env.Logger.Debug("event log opened", "log", stream, "from", from.String(), "tail", r.tail)
	return r, nil
}

// startAt is the ordered consumer's start for from.
func startAt(from runtime.SyncFrom) nats.SubOpt {
	if t, ok := from.Time(); ok {
		return nats.StartTime(t)
	}
	if p, ok := from.Offset(); ok && p > 1 {
		return nats.StartSequence(uint64(p))
	}
	return nats.DeliverAll()
}

// logReader is one read of a producer's stream, a transport.LogReader.
type logReader struct {
	b             *binding
	topic, stream string
	tail          uint64
	// empty is set when the stream holds nothing between the start and
	// the tail: the first entry is the end, and sub is nil.
	empty bool
	sub   *nats.Subscription
}

// nothingToRead reports that the stream, in state, holds no event at or
// after from up to its last one.
func (r *logReader) nothingToRead(ctx context.Context, state nats.StreamState, from runtime.SyncFrom) bool {
	if state.Msgs == 0 || state.LastSeq < state.FirstSeq {
		return true
	}
	if p, ok := from.Offset(); ok {
		return p > int64(state.LastSeq)
	}
	if t, ok := from.Time(); ok {
		last, err := r.b.js.GetMsg(r.stream, state.LastSeq, nats.Context(ctx))
		return err == nil && last.Time.Before(t)
	}
	return false
}

// Tail is the stream's last sequence when the read opened.
func (r *logReader) Tail() (int64, bool) { return int64(r.tail), true }

// idleCheck is how long Next waits for a message before it asks the
// server whether any is left for the read: when the events up to the tail
// were deleted meanwhile (MaxAge), nothing else would end the read before
// a newer event arrived.
const idleCheck = time.Second

// Next returns the stream's next event, with End set on the tail's, or an
// end without an event when the tail's is gone.
func (r *logReader) Next(ctx context.Context) (transport.LogEntry, error) {
	end := transport.LogEntry{Position: int64(r.tail), End: true}
	if r.empty {
		return end, nil
	}
	for {
		wait, cancel := context.WithTimeout(ctx, idleCheck)
		m, err := r.sub.NextMsgWithContext(wait)
		cancel()
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return transport.LogEntry{}, ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			if r.caughtUp() {
				return end, nil
			}
			continue
		default:
			return transport.LogEntry{}, fmt.Errorf("read stream %s: %w", r.stream, err)
		}
		meta, err := m.Metadata()
		if err != nil {
			return transport.LogEntry{}, fmt.Errorf("message of stream %s without JetStream metadata: %w", r.stream, err)
		}
		seq := meta.Sequence.Stream
		if seq > r.tail {
			return end, nil // a live event: the tail's own is gone
		}
		msg, _ := Marshaler{}.Unmarshal(m) // never fails
		d := &logDelivery{msg: msg, topic: r.topic, b: r.b}
		return transport.LogEntry{Position: int64(seq), Delivery: d, End: seq == r.tail}, nil
	}
}

// caughtUp reports that the server has nothing more for the read and
// nats.go holds nothing undelivered.
func (r *logReader) caughtUp() bool {
	if n, _, err := r.sub.Pending(); err != nil || n > 0 {
		return false
	}
	info, err := r.sub.ConsumerInfo()
	return err == nil && info.NumPending == 0
}

// Close ends the ordered consumer; the stream keeps its events.
func (r *logReader) Close() error {
	if r.sub == nil {
		return nil
	}
	if err := r.sub.Unsubscribe(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		return fmt.Errorf("end the read of stream %s: %w", r.stream, err)
	}
	return nil
}
