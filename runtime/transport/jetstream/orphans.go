package jetstream

import (
	"context"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go"
)

// Events a killed replica held. JetStream redelivers an event that was
// delivered and never acked only after AckWait, and meanwhile sends newer
// ones while fewer than MaxAckPending events are unacked: with more than
// one in flight, a replica started after another was killed would apply
// newer events before the ones the dead one held (the kill test saw it
// with 32). So a subscription that finds its consumer holding unacked
// events with no replica bound to it lowers the consumer's MaxAckPending
// to 1 until the last of them is acked: JetStream then sends nothing
// newer, and redelivers the held events in stream order. Those of a
// killed replica come back when their AckWait ran out; those a stopped
// replica nacked (JetStream counts them unacked until they are acked)
// come back at once, so after a graceful stop this ends within a few
// events. A replica still bound to the consumer (another one of the
// service) leaves its settings alone.

// reconcile brings the consumer info describes to the AckWait and
// MaxAckPending of s's options, or to MaxAckPending 1 when it holds a
// dead replica's events. It returns the stream sequence whose ack ends
// that recovery, 0 for none.
func (s *subscriber) reconcile(ctx context.Context, info *nats.ConsumerInfo) (recoverUntil uint64, err error) {
	cfg := info.Config
	cfg.AckWait, cfg.MaxAckPending = s.opts.AckWait, s.opts.MaxAckPending
	switch {
	case info.PushBound:
		cfg.MaxAckPending = info.Config.MaxAckPending // a running replica may be recovering
	case info.NumAckPending > 0 && s.opts.MaxAckPending > 1:
		cfg.MaxAckPending, recoverUntil = 1, info.Delivered.Stream
		s.log.Info("the consumer holds unacked events and no replica is bound to it: one event in flight until they are redelivered and acked",
			"consumer", s.durable, "stream", info.Stream, "held", info.NumAckPending, "ack_wait", cfg.AckWait)
	}
	if cfg.AckWait == info.Config.AckWait && cfg.MaxAckPending == info.Config.MaxAckPending {
		return recoverUntil, nil
	}
	if _, err := s.js.UpdateConsumer(info.Stream, &cfg, nats.Context(ctx)); err != nil {
		return 0, fmt.Errorf("update consumer %s of stream %s to AckWait %s, MaxAckPending %d: %w", s.durable, info.Stream, cfg.AckWait, cfg.MaxAckPending, err)
	}
	return recoverUntil, nil
}

// recovery ends a subscription's recovery once it acked the event at
// until (the last one delivered before the start) or a later one.
type recovery struct {
	s      *subscriber
	stream string
	until  uint64
	once   sync.Once
}

// acked is called with the stream sequence of every event the
// subscription acked; at the recovery's end it gives the consumer its
// MaxAckPending back.
func (r *recovery) acked(seq uint64) {
	if r == nil || seq < r.until {
		return
	}
	r.once.Do(func() { go r.restore() })
}

// restore sets the consumer's MaxAckPending back to the options'.
func (r *recovery) restore() {
	ctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
	defer cancel()
	info, err := r.s.js.ConsumerInfo(r.stream, r.s.durable, nats.Context(ctx))
	if err == nil {
		cfg := info.Config
		cfg.MaxAckPending = r.s.opts.MaxAckPending
		_, err = r.s.js.UpdateConsumer(r.stream, &cfg, nats.Context(ctx))
	}
	if err != nil {
		// It stays at 1 until the service starts again.
		r.s.log.Warn("could not give the consumer its MaxAckPending back", "consumer", r.s.durable, "stream", r.stream, "err", err)
		return
	}
	r.s.log.Info("the events held before the start are acked: back to MaxAckPending", "consumer", r.s.durable, "stream", r.stream, "max_ack_pending", r.s.opts.MaxAckPending)
}
