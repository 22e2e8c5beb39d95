package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/components/forwarder"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/internal/sqlstore"
)

// The outbox is Watermill's SQL Pub/Sub with its forwarder's envelope:
// Publisher writes each event, wrapped in the forwarder's envelope
// (original ID, payload and metadata), into the outbox table in the
// caller's transaction; Relay (relay.go) reads the table with
// watermill-sql's queries and sends the events to the broker.
//
// The table uses DefaultPostgreSQLSchema (an append-only log with an offset
// per consumer group) rather than PostgreSQLQueueSchema: the queue schema's
// ack marks every row it read in a batch, also the rows after one it could
// not send, which would lose events when the relay stops or a publish times
// out mid-batch. The log schema records the last row actually sent, and
// reads only rows of transactions older than every running one, so it
// relays in commit order without skipping a row a slow transaction commits
// late. Its price: a transaction left open in the database holds the relay
// back until it ends.
const (
	outboxTopic = "outbox"      // forwarder topic; table names are the store's own
	relayGroup  = "evgen_relay" // consumer group whose offset marks what was sent
	// destination is the topic the envelope names; the runtime publisher
	// routes by each event's metadata, not by topic.
	destination = "evgen"
)

// Publisher returns a publisher that writes events into tx's outbox table.
// It never talks to the broker; the events are sent by Relay after tx
// commits, and never if it rolls back.
func (s *Store) Publisher(tx *sql.Tx) runtime.Publisher {
	if tx == nil {
		return failing{errors.New("postgres: outbox publisher needs the producer's transaction, got nil")}
	}
	sqlPub, err := wsql.NewPublisher(wsql.TxFromStdSQL(tx), wsql.PublisherConfig{SchemaAdapter: s.schema}, s.log)
	if err != nil {
		return failing{fmt.Errorf("postgres: outbox publisher: %w", err)}
	}
	return txPublisher{forwarder.NewPublisher(sqlPub, forwarder.PublisherConfig{ForwarderTopic: outboxTopic})}
}

type failing struct{ err error }

func (f failing) Publish(context.Context, ...*message.Message) error { return f.err }

type txPublisher struct{ fwd *forwarder.Publisher }

// Publish inserts msgs, in order, in the transaction. The SQL publisher
// runs its insert in the first message's context, so copies carry ctx.
func (p txPublisher) Publish(ctx context.Context, msgs ...*message.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	copies := make([]*message.Message, len(msgs))
	for i, m := range msgs {
		copies[i] = m.Copy()
		copies[i].SetContext(ctx)
	}
	if err := p.fwd.Publish(destination, copies...); err != nil {
		return fmt.Errorf("postgres: write to outbox: %w", err)
	}
	return nil
}

// position is the consumer group's offset: the last row marked sent.
func (s *Store) position() string {
	return `WITH pos AS (
		SELECT COALESCE((SELECT last_processed_transaction_id FROM ` + s.offsets + ` WHERE consumer_group = $1), '0'::xid8) AS tx,
		       COALESCE((SELECT offset_acked FROM ` + s.offsets + ` WHERE consumer_group = $1), 0) AS off
	)`
}

const afterPosition = `(o.transaction_id > pos.tx OR (o.transaction_id = pos.tx AND o."offset" > pos.off))`

// Backlog returns the IDs of committed events not yet marked sent, in the
// order the relay will send them.
func (s *Store) Backlog(ctx context.Context) ([]string, error) {
	q := s.position() + ` SELECT o.payload FROM ` + s.outbox + ` o, pos WHERE ` + afterPosition +
		` ORDER BY o.transaction_id, o."offset"`
	rows, err := s.db.QueryContext(ctx, q, relayGroup)
	if err != nil {
		return nil, fmt.Errorf("postgres: outbox backlog: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var env envelope
		var payload []byte
		if err := rows.Scan(&payload); err != nil {
			return nil, fmt.Errorf("postgres: outbox backlog: %w", err)
		}
		if err := json.Unmarshal(payload, &env); err != nil {
			return nil, fmt.Errorf("postgres: outbox backlog: envelope: %w", err)
		}
		ids = append(ids, env.UUID)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: outbox backlog: %w", err)
	}
	return ids, nil
}

// pruneOutbox deletes sent rows old enough; created_at is a TIMESTAMP in
// the session's time zone (Watermill's schema), hence LOCALTIMESTAMP.
func (s *Store) pruneOutbox(olderThan time.Duration) sqlstore.Query {
	return sqlstore.Query{
		Query: s.position() + ` DELETE FROM ` + s.outbox + ` o USING pos WHERE NOT ` + afterPosition +
			` AND o.created_at <= LOCALTIMESTAMP - make_interval(secs => $2)`,
		Args: []any{relayGroup, olderThan.Seconds()},
	}
}
