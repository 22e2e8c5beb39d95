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
	"github.com/evgenhq/evgen/runtime/store"
)

// The outbox is Watermill's SQL Pub/Sub behind its forwarder: Publisher
// writes each event, wrapped in the forwarder's envelope (original ID,
// payload and metadata), into the outbox table in the caller's transaction;
// Relay subscribes to that table and forwards every event to the broker.
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
		return failing{errors.New("pgstore: outbox publisher needs the producer's transaction, got nil")}
	}
	sqlPub, err := wsql.NewPublisher(wsql.TxFromStdSQL(tx), wsql.PublisherConfig{SchemaAdapter: s.schema}, s.log)
	if err != nil {
		return failing{fmt.Errorf("pgstore: outbox publisher: %w", err)}
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
		return fmt.Errorf("pgstore: write to outbox: %w", err)
	}
	return nil
}

// Relay forwards committed outbox events to pub, in commit order, until ctx
// ends; it then returns nil. An event is marked sent (the consumer group's
// offset moves past it, in the transaction that read it) only after pub
// returned nil; a failed publish is retried, unless its error is
// runtime.Permanent: that event is set aside (ListSetAside) and the offset
// moves past it. When ctx ends the relay stops taking rows and marks what
// it sent; a relay that crashes instead re-sends at most the
// RelayBatchSize events read but not marked. Relays of several replicas
// take turns: the offset row is locked while a batch is relayed.
func (s *Store) Relay(ctx context.Context, pub runtime.Publisher) error {
	sub, err := wsql.NewSubscriber(wsql.BeginnerFromStdSQL(s.db), wsql.SubscriberConfig{
		ConsumerGroup:  relayGroup,
		PollInterval:   s.opts.RelayPollInterval,
		ResendInterval: s.opts.RelayPollInterval,
		RetryInterval:  time.Second,
		SchemaAdapter:  s.schema,
		OffsetsAdapter: s.offset,
	}, s.log)
	if err != nil {
		return fmt.Errorf("pgstore: relay subscriber: %w", err)
	}
	runCtx, abort := context.WithCancel(context.WithoutCancel(ctx))
	defer abort()
	fwd, err := forwarder.NewForwarder(detached{sub, runCtx}, brokerPublisher{pub, s}, s.log, forwarder.Config{
		ForwarderTopic: outboxTopic,
		CloseTimeout:   closeGrace,
	})
	if err != nil {
		return fmt.Errorf("pgstore: relay forwarder: %w", err)
	}
	go func() {
		select {
		case <-ctx.Done():
			stop := time.AfterFunc(closeGrace, abort)
			defer stop.Stop()
			if err := fwd.Close(); err != nil {
				s.opts.Logger.Warn("pgstore: relay did not stop in time; unmarked events will be sent again", "error", err)
			}
		case <-runCtx.Done():
		}
	}()
	err = fwd.Run(runCtx)
	switch {
	case err != nil:
		return fmt.Errorf("pgstore: relay: %w", err)
	case ctx.Err() == nil:
		return errors.New("pgstore: relay stopped before its context ended")
	}
	return nil
}

// detached subscribes with the relay's own context instead of the router's.
// The router cancels its context as soon as it starts closing, which would
// fail the transaction that marks the batch's sent rows, so a graceful stop
// would re-send them; the subscriber stops on Close instead and commits the
// marks of what it sent.
type detached struct {
	*wsql.Subscriber
	ctx context.Context
}

func (d detached) Subscribe(_ context.Context, topic string) (<-chan *message.Message, error) {
	return d.Subscriber.Subscribe(d.ctx, topic)
}

// closeGrace is how long a stopping relay may take to finish the publish in
// flight and mark what it sent, before its database work is cancelled.
const closeGrace = 10 * time.Second

// brokerPublisher adapts the runtime's confirmed publisher to the
// forwarder's destination. The forwarder hands over the original message,
// unwrapped from the envelope with its ID and metadata.
// An event whose publish fails with a runtime.Permanent error is set aside
// (see setAside) and reported as forwarded, so that the offset moves past
// it and the relay goes on in commit order.
type brokerPublisher struct {
	pub runtime.Publisher
	s   *Store
}

func (b brokerPublisher) Publish(_ string, msgs ...*message.Message) error {
	for _, m := range msgs {
		err := b.pub.Publish(m.Context(), m)
		if runtime.IsPermanent(err) {
			added, err2 := b.s.setAside(m, err)
			if err2 != nil {
				return err2
			}
			if added {
				store.ReportSetAside(b.pub, m, err)
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("relay event %s: %w", m.UUID, err)
		}
	}
	return nil
}

// Close does nothing: the broker publisher belongs to the caller.
func (brokerPublisher) Close() error { return nil }

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
		return nil, fmt.Errorf("pgstore: outbox backlog: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var env struct {
			UUID string `json:"uuid"`
		}
		var payload []byte
		if err := rows.Scan(&payload); err != nil {
			return nil, fmt.Errorf("pgstore: outbox backlog: %w", err)
		}
		if err := json.Unmarshal(payload, &env); err != nil {
			return nil, fmt.Errorf("pgstore: outbox backlog: envelope: %w", err)
		}
		ids = append(ids, env.UUID)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pgstore: outbox backlog: %w", err)
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
