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
		return failing{errors.New("sqlite: outbox publisher needs the producer's transaction, got nil")}
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
			return fmt.Errorf("sqlite: event %s metadata: %w", m.UUID, err)
		}
		if _, err := p.tx.ExecContext(ctx, q, m.UUID, []byte(m.Payload), string(meta), time.Now().UnixNano()); err != nil {
			return fmt.Errorf("sqlite: write event %s to outbox: %w", m.UUID, err)
		}
	}
	p.s.relay.poke()
	return nil
}

func (s *Store) unsent(ctx context.Context, limit int) ([]outboxRow, error) {
	q := `SELECT seq, id, payload, metadata FROM ` + s.outbox + ` WHERE sent_at IS NULL ORDER BY seq LIMIT ?`
	rows, err := s.db.QueryContext(ctx, q, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: read outbox: %w", err)
	}
	defer rows.Close()
	var out []outboxRow
	for rows.Next() {
		var r outboxRow
		var id, meta string
		var payload []byte
		if err := rows.Scan(&r.seq, &id, &payload, &meta); err != nil {
			return nil, fmt.Errorf("sqlite: read outbox: %w", err)
		}
		r.msg = message.NewMessage(id, payload)
		if err := json.Unmarshal([]byte(meta), &r.msg.Metadata); err != nil {
			return nil, fmt.Errorf("sqlite: outbox row %d (event %s) metadata: %w", r.seq, id, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: read outbox: %w", err)
	}
	return out, nil
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
