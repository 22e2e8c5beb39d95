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
// MaxAckPending of s's options, or to MaxAckPending 1 when it holds
// events no replica is bound to. It returns the recovery that sets
// MaxAckPending back once they are acked, nil for none.
func (s *subscriber) reconcile(ctx context.Context, info *nats.ConsumerInfo) (*recovery, error) {
	cfg := info.Config
	cfg.AckWait, cfg.MaxAckPending = s.opts.AckWait, s.opts.MaxAckPending
	var r *recovery
	switch {
	case info.PushBound:
		cfg.MaxAckPending = info.Config.MaxAckPending // a running replica may be recovering
	case info.NumAckPending > 0 && s.opts.MaxAckPending > 1:
		cfg.MaxAckPending = 1
		r = &recovery{s: s, stream: info.Stream, until: info.Delivered.Stream, held: info.NumAckPending, seen: map[uint64]bool{}}
		s.log.Info("the consumer holds unacked events and no replica is bound to it: one event in flight until they are redelivered and acked",
			"consumer", s.durable, "stream", info.Stream, "held", info.NumAckPending, "ack_wait", cfg.AckWait)
	}
	if cfg.AckWait == info.Config.AckWait && cfg.MaxAckPending == info.Config.MaxAckPending {
		return r, nil
	}
	if _, err := s.js.UpdateConsumer(info.Stream, &cfg, nats.Context(ctx)); err != nil {
		return nil, fmt.Errorf("update consumer %s of stream %s to AckWait %s, MaxAckPending %d: %w", s.durable, info.Stream, cfg.AckWait, cfg.MaxAckPending, err)
	}
	return r, nil
}

// recovery sets the consumer's MaxAckPending back once the held events
// are acked: when the subscription acked as many distinct ones as the
// consumer held (each of them was delivered by the last sequence
// delivered before the start, until), or one after until, which
// JetStream delivers, at MaxAckPending 1, only once none is unacked. The
// tail of the held events is not enough: those a stopping replica nacked
// with a delay come back after the ones it nacked at once.
type recovery struct {
	s      *subscriber
	stream string
	until  uint64
	held   int
	seen   map[uint64]bool // the held events acked; used by one goroutine, nats.go's callback
	once   sync.Once
}

// acked is called with the stream sequence of every event the
// subscription acked.
func (r *recovery) acked(seq uint64) {
	if r == nil {
		return
	}
	if seq <= r.until {
		r.seen[seq] = true
	}
	if seq > r.until || len(r.seen) >= r.held {
		r.once.Do(func() { go r.restore() })
	}
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
