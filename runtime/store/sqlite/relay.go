package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/internal/sqlstore"
	"github.com/evgenhq/evgen/runtime/store"
)

// Relay sends committed outbox events to pub in commit order until ctx
// ends; it then returns nil. It reads up to RelayBatchSize rows and sends
// them (all at once, confirms pipelined, through a store.BatchPublisher);
// the confirmed ones are marked sent right after, so a crash re-sends at
// most one batch. A failed
// publish is retried with backoff, unless its error is runtime.Permanent:
// that row moves to the set-aside table (ListSetAside) and the relay goes
// on with the next. Run one relay per database: relays in
// two processes would both send each event (the inboxes would drop the
// second copy).
func (s *Store) Relay(ctx context.Context, pub runtime.Publisher) error {
	var retry time.Duration
	for {
		more, err := s.relayBatch(ctx, pub)
		wait := s.opts.RelayPollInterval
		switch {
		case err != nil && ctx.Err() == nil:
			retry = min(max(2*retry, 100*time.Millisecond), 5*time.Second)
			wait = retry
			s.opts.Logger.WarnContext(ctx, "sqlite: outbox relay failed, retrying", "error", err, "in", wait)
		case err == nil:
			retry = 0
			if more {
				wait = 0
			}
		}
		if !s.sleep(ctx, wait, err == nil) {
			return nil
		}
	}
}

// sleep waits d or, when wakeable, until a publish pokes the relay; false
// once ctx ended.
func (s *Store) sleep(ctx context.Context, d time.Duration, wakeable bool) bool {
	if ctx.Err() != nil {
		return false
	}
	if d == 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	wake := s.relay.wake
	if !wakeable {
		wake = nil
	}
	select {
	case <-ctx.Done():
		return false
	case <-wake:
	case <-t.C:
	}
	return true
}

type outboxRow struct {
	seq int64
	msg *message.Message
}

// relayBatch sends one batch (all at once through a
// store.BatchPublisher), sets aside the rows that failed permanently and
// marks the confirmed ones sent, up to the first transient failure, which
// it returns; more reports that the batch was full.
func (s *Store) relayBatch(ctx context.Context, pub runtime.Publisher) (more bool, err error) {
	s.relay.mu.Lock()
	defer s.relay.mu.Unlock()
	rows, err := s.unsent(ctx, s.opts.RelayBatchSize)
	if err != nil || len(rows) == 0 {
		return false, err
	}
	msgs := make([]*message.Message, len(rows))
	for i, r := range rows {
		msgs[i] = r.msg
	}
	// The broker has the events Send returns: mark them even if ctx just
	// ended, or a clean stop would send them again.
	mark := context.WithoutCancel(ctx)
	n, failed := sqlstore.Send(ctx, pub, msgs, func(i int, reason error) error {
		added, err := s.setAside(mark, rows[i], reason)
		if added {
			store.ReportSetAside(pub, rows[i].msg, reason)
		}
		return err
	})
	if n > 0 {
		if err := s.markSent(mark, rows[0].seq, rows[n-1].seq); err != nil {
			return false, err
		}
	}
	if failed != nil {
		return false, fmt.Errorf("relay event %s: %w", rows[n].msg.UUID, failed)
	}
	return len(rows) == s.opts.RelayBatchSize, nil
}

// markSent marks the unsent rows from seq first to last sent: one relay
// batch. Only one relay runs per database and SQLite commits one writer at
// a time, so no unsent row in that range was left out of the batch.
func (s *Store) markSent(ctx context.Context, first, last int64) error {
	q := `UPDATE ` + s.outbox + ` SET sent_at = ? WHERE seq BETWEEN ? AND ? AND sent_at IS NULL`
	if _, err := s.db.ExecContext(ctx, q, time.Now().UnixNano(), first, last); err != nil {
		return fmt.Errorf("sqlite: mark outbox rows %d to %d sent: %w", first, last, err)
	}
	return nil
}
