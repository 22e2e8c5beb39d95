package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/internal/sqlstore"
	"github.com/evgenhq/evgen/runtime/store"
)

// The relay is a loop of the store's own over watermill-sql's queries,
// instead of Watermill's forwarder over watermill-sql's subscriber: the
// subscriber hands the forwarder one message at a time and waits for its
// ack before the next, so the forwarder publishes and waits for one
// broker confirm per event (about 700 events/s). This loop reads a batch
// with the same queries (DefaultPostgreSQLSchema.SelectQuery's, which
// locks the consumer group's offset row and reads only transactions older
// than every running one, with the offset compared as a row: see
// selectBatchQuery; DefaultPostgreSQLOffsetsAdapter.AckMessageQuery,
// which moves the offset), hands the whole batch to the broker publisher
// (store.BatchPublisher pipelines the confirms), and moves the offset past
// the events confirmed or set aside, from the first, in the transaction
// that read them. The rows keep the forwarder's envelope.

// envelope is the forwarder's envelope (watermill's components/forwarder
// messageEnvelope, unexported there): the event as the producer wrote it.
type envelope struct {
	DestinationTopic string            `json:"destination_topic"`
	UUID             string            `json:"uuid"`
	Payload          []byte            `json:"payload"`
	Metadata         map[string]string `json:"metadata"`
}

// closeGrace is how long a stopping relay may take to finish the batch in
// flight and mark what it sent, before its database work is cancelled.
const closeGrace = 10 * time.Second

// Relay sends committed outbox events to pub, in commit order, until ctx
// ends; it then returns nil. It reads up to RelayBatchSize rows in one
// transaction, sends them (all at once through a store.BatchPublisher),
// and moves the relay's offset past the events confirmed, in the
// transaction that read them; a failed publish stops the batch there and
// is retried with backoff, unless its error is runtime.Permanent: that
// event is set aside (ListSetAside) in the same transaction and the offset
// moves past it. Events of the batch after a failed one that the broker
// confirmed are sent again (at least once: the consumers' inboxes drop the
// copy). When ctx ends the relay finishes the batch in flight, marks it,
// and stops; one that crashes instead re-sends at most the RelayBatchSize
// events read but not marked. Relays of several replicas take turns: the
// offset row is locked while a batch is relayed.
func (s *Store) Relay(ctx context.Context, pub runtime.Publisher) error {
	work, stop := graceful(ctx)
	defer stop()
	if err := s.initOffset(work); err != nil {
		return err
	}
	var retry time.Duration
	for ctx.Err() == nil {
		more, err := s.relayBatch(work, pub)
		wait := s.opts.RelayPollInterval
		switch {
		case err != nil && ctx.Err() == nil:
			retry = min(max(2*retry, 100*time.Millisecond), 5*time.Second)
			wait = retry
			s.opts.Logger.WarnContext(ctx, "postgres: outbox relay failed, retrying", "error", err, "in", wait)
		case err == nil:
			retry = 0
			if more {
				wait = 0
			}
		}
		if !sleep(ctx, wait) {
			break
		}
	}
	return nil
}

// graceful returns a context that outlives ctx by closeGrace, so that the
// batch in flight when ctx ends is still sent and marked.
func graceful(ctx context.Context) (context.Context, context.CancelFunc) {
	work, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stopAfter := context.AfterFunc(ctx, func() { time.AfterFunc(closeGrace, cancel) })
	return work, func() { stopAfter(); cancel() }
}

// sleep waits d or until ctx ends; false once ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	if d == 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// initOffset adds the relay's offset row if it is missing, so that
// SelectQuery's FOR UPDATE has a row to lock and replicas take turns.
func (s *Store) initOffset(ctx context.Context) error {
	qs, err := s.offset.BeforeSubscribingQueries(wsql.BeforeSubscribingQueriesParams{Topic: outboxTopic, ConsumerGroup: relayGroup})
	if err != nil {
		return fmt.Errorf("postgres: relay offset: %w", err)
	}
	return s.sql.InTx(ctx, "relay offset", func(tx *sql.Tx) error {
		_, err := sqlstore.Exec(ctx, tx, shared(qs))
		return err
	})
}

// outboxRow is one row read by the relay: the row (for its offset and
// transaction ID), the event unwrapped from its envelope, or why it
// cannot be.
type outboxRow struct {
	row    wsql.Row
	msg    *message.Message
	bad    error // the envelope cannot be read: set the row aside
	reason error // why the row was set aside, once it was
}

// relayBatch relays one batch in one transaction; more reports that the
// batch was full.
func (s *Store) relayBatch(ctx context.Context, pub runtime.Publisher) (more bool, err error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{Isolation: s.schema.SubscribeIsolationLevel()})
	if err != nil {
		return false, fmt.Errorf("postgres: relay: begin: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, rollback(tx))
		}
	}()
	rows, err := s.readBatch(ctx, tx)
	if err != nil || len(rows) == 0 {
		return false, errors.Join(err, tx.Commit())
	}
	var setAside []int // rows set aside, reported once committed
	n, failed := s.send(ctx, pub, rows, func(i int, reason error) error {
		added, err := s.setAside(ctx, tx, rows[i].msg, reason)
		if added {
			setAside = append(setAside, i)
			rows[i].reason = reason
		}
		return err
	})
	if n > 0 {
		if err := s.ack(ctx, tx, rows[n-1].row); err != nil {
			return false, err
		}
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("postgres: relay: mark %d events sent: %w", n, err)
	}
	for _, i := range setAside {
		store.ReportSetAside(pub, rows[i].msg, rows[i].reason)
	}
	if failed != nil {
		return false, fmt.Errorf("relay event %s: %w", rows[n].msg.UUID, failed)
	}
	return len(rows) == s.schema.SubscribeBatchSize, nil
}

func rollback(tx *sql.Tx) error {
	if err := tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		return fmt.Errorf("postgres: relay: rollback: %w", err)
	}
	return nil
}

// send sends the batch as sqlstore.Send does; a row whose envelope
// cannot be read fails permanently, in its place in the batch.
func (s *Store) send(ctx context.Context, pub runtime.Publisher, rows []outboxRow, setAside func(int, error) error) (int, error) {
	for start := 0; start < len(rows); {
		if r := rows[start]; r.bad != nil {
			if err := setAside(start, runtime.Permanent(r.bad)); err != nil {
				return start, err
			}
			start++
			continue
		}
		end := start
		for end < len(rows) && rows[end].bad == nil {
			end++
		}
		msgs := make([]*message.Message, end-start)
		for i := range msgs {
			msgs[i] = rows[start+i].msg
		}
		n, err := sqlstore.Send(ctx, pub, msgs, func(i int, reason error) error { return setAside(start+i, reason) })
		if err != nil {
			return start + n, err
		}
		start = end
	}
	return len(rows), nil
}

// readBatch reads the next rows after the relay's offset, locking it.
func (s *Store) readBatch(ctx context.Context, tx *sql.Tx) ([]outboxRow, error) {
	rows, err := tx.QueryContext(ctx, s.selectBatchQuery(), relayGroup)
	if err != nil {
		return nil, fmt.Errorf("postgres: relay: read outbox: %w", err)
	}
	defer rows.Close()
	var out []outboxRow
	for rows.Next() {
		row, err := s.schema.UnmarshalMessage(wsql.UnmarshalMessageParams{Row: rows})
		if err != nil {
			return nil, fmt.Errorf("postgres: relay: read outbox: %w", err)
		}
		out = append(out, unwrap(row))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: relay: read outbox: %w", err)
	}
	return out, nil
}

// selectBatchQuery is DefaultPostgreSQLSchema.SelectQuery with the offset
// compared as a row, (transaction_id, "offset") > (tx, off), where
// watermill-sql writes (transaction_id = tx AND "offset" > off) OR
// transaction_id > tx: the same rows, but PostgreSQL walks the primary key
// in order from the offset and stops after a batch, where the OR form
// reads and sorts every row not yet sent for each batch. With 20,000 rows
// waiting that was 9.3 ms a batch against 0.23 ms (EXPLAIN ANALYZE,
// batches of 500); relay-drain-pg with 20,000 events went from 9,173 and
// 9,663 to 10,496 and 11,329 events/s (binaries alternated). The offset
// row is still locked
// FOR UPDATE, so replicas take turns, and only transactions older than
// every running one are read, so none that commits late is skipped.
func (s *Store) selectBatchQuery() string {
	return `WITH last_processed AS (
		SELECT offset_acked, last_processed_transaction_id FROM ` + s.offsets + `
		WHERE consumer_group = $1 FOR UPDATE
	)
	SELECT "offset", transaction_id, uuid, payload, metadata FROM ` + s.outbox + `
	WHERE (transaction_id, "offset") > (
		(SELECT last_processed_transaction_id FROM last_processed),
		(SELECT offset_acked FROM last_processed))
	AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
	ORDER BY transaction_id ASC, "offset" ASC
	LIMIT ` + strconv.Itoa(s.schema.SubscribeBatchSize)
}

// unwrap takes the event out of row's envelope; a row whose envelope
// cannot be read keeps the row's own ID, payload and metadata, to be set
// aside as it is.
func unwrap(row wsql.Row) outboxRow {
	var env envelope
	err := json.Unmarshal(row.Payload, &env)
	if err == nil && env.UUID == "" {
		err = errors.New("no event ID")
	}
	if err != nil {
		return outboxRow{row: row, msg: row.Msg, bad: fmt.Errorf("outbox row %d: not an event envelope: %w", row.Offset, err)}
	}
	msg := message.NewMessage(env.UUID, env.Payload)
	for k, v := range env.Metadata {
		msg.Metadata.Set(k, v)
	}
	return outboxRow{row: row, msg: msg}
}

// ack moves the relay's offset to last, in the batch's transaction.
func (s *Store) ack(ctx context.Context, tx *sql.Tx, last wsql.Row) error {
	q, err := s.offset.AckMessageQuery(wsql.AckMessageQueryParams{Topic: outboxTopic, LastRow: last, ConsumerGroup: relayGroup})
	if err != nil {
		return fmt.Errorf("postgres: relay: ack query: %w", err)
	}
	if _, err := tx.ExecContext(ctx, q.Query, q.Args...); err != nil {
		return fmt.Errorf("postgres: relay: mark sent: %w", err)
	}
	return nil
}
