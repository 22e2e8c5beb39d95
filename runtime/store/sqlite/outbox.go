package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/internal/sqlstore"
	"github.com/evgenhq/evgen/runtime/store"
)

// The SQLite outbox is the store's own table and relay loop, because
// watermill-sql speaks only MySQL and PostgreSQL and watermill-sqlite is
// not available to this project. It keeps the semantics of the PostgreSQL
// outbox: rows written in the producer's transaction, relayed in commit
// order with their original ID and metadata, each marked sent only after
// the broker publisher returned nil.
//
// SQLite runs one writing transaction at a time, so the AUTOINCREMENT seq
// of the rows is their commit order; sent_at stays NULL until relayed.
func (s *Store) outboxSchema() []string {
	return []string{
		`CREATE TABLE IF NOT EXISTS ` + s.outbox + ` (
			seq        INTEGER PRIMARY KEY AUTOINCREMENT,
			id         TEXT NOT NULL,
			payload    BLOB NOT NULL,
			metadata   TEXT NOT NULL,
			created_at INTEGER NOT NULL,
			sent_at    INTEGER
		)`,
		`CREATE INDEX IF NOT EXISTS "` + s.opts.TablePrefix + `outbox_unsent" ON ` + s.outbox + ` (seq) WHERE sent_at IS NULL`,
		`CREATE INDEX IF NOT EXISTS "` + s.opts.TablePrefix + `outbox_sent_at" ON ` + s.outbox + ` (sent_at) WHERE sent_at IS NOT NULL`,
	}
}

// relayState lets a publish in this process wake the relay, and keeps two
// relays of one store from sending the same rows at once.
type relayState struct {
	wake chan struct{}
	mu   sync.Mutex
}

func (r *relayState) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

type failing struct{ err error }

func (f failing) Publish(context.Context, ...*message.Message) error { return f.err }

// Publisher returns a publisher that writes events into tx's outbox table.
// It never talks to the broker; the events are sent by Relay after tx
// commits, and never if it rolls back.
func (s *Store) Publisher(tx *sql.Tx) runtime.Publisher {
	if tx == nil {
		return failing{errors.New("sqlitestore: outbox publisher needs the producer's transaction, got nil")}
	}
	return txPublisher{s: s, tx: tx}
}

type txPublisher struct {
	s  *Store
	tx *sql.Tx
}

// Publish inserts msgs, in order, in the transaction, and wakes the relay,
// whose read waits for the connection this transaction holds (see Open).
func (p txPublisher) Publish(ctx context.Context, msgs ...*message.Message) error {
	q := `INSERT INTO ` + p.s.outbox + ` (id, payload, metadata, created_at) VALUES (?, ?, ?, ?)`
	for _, m := range msgs {
		meta, err := json.Marshal(m.Metadata)
		if err != nil {
			return fmt.Errorf("sqlitestore: event %s metadata: %w", m.UUID, err)
		}
		if _, err := p.tx.ExecContext(ctx, q, m.UUID, []byte(m.Payload), string(meta), time.Now().UnixNano()); err != nil {
			return fmt.Errorf("sqlitestore: write event %s to outbox: %w", m.UUID, err)
		}
	}
	p.s.relay.poke()
	return nil
}

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
			s.opts.Logger.WarnContext(ctx, "sqlitestore: outbox relay failed, retrying", "error", err, "in", wait)
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

func (s *Store) unsent(ctx context.Context, limit int) ([]outboxRow, error) {
	q := `SELECT seq, id, payload, metadata FROM ` + s.outbox + ` WHERE sent_at IS NULL ORDER BY seq LIMIT ?`
	rows, err := s.db.QueryContext(ctx, q, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: read outbox: %w", err)
	}
	defer rows.Close()
	var out []outboxRow
	for rows.Next() {
		var r outboxRow
		var id, meta string
		var payload []byte
		if err := rows.Scan(&r.seq, &id, &payload, &meta); err != nil {
			return nil, fmt.Errorf("sqlitestore: read outbox: %w", err)
		}
		r.msg = message.NewMessage(id, payload)
		if err := json.Unmarshal([]byte(meta), &r.msg.Metadata); err != nil {
			return nil, fmt.Errorf("sqlitestore: outbox row %d (event %s) metadata: %w", r.seq, id, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlitestore: read outbox: %w", err)
	}
	return out, nil
}

// markSent marks the unsent rows from seq first to last sent: one relay
// batch. Only one relay runs per database and SQLite commits one writer at
// a time, so no unsent row in that range was left out of the batch.
func (s *Store) markSent(ctx context.Context, first, last int64) error {
	q := `UPDATE ` + s.outbox + ` SET sent_at = ? WHERE seq BETWEEN ? AND ? AND sent_at IS NULL`
	if _, err := s.db.ExecContext(ctx, q, time.Now().UnixNano(), first, last); err != nil {
		return fmt.Errorf("sqlitestore: mark outbox rows %d to %d sent: %w", first, last, err)
	}
	return nil
}

// Backlog returns the IDs of committed events not yet marked sent, in the
// order the relay will send them.
func (s *Store) Backlog(ctx context.Context) ([]string, error) {
	rows, err := s.unsent(ctx, -1)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.msg.UUID
	}
	return ids, nil
}
