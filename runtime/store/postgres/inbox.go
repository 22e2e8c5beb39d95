package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/evgenhq/evgen/runtime/internal/sqlstore"
	"github.com/evgenhq/evgen/runtime/store"
)

// inboxSchema creates the inbox keyed by (consumer, producer, event_id),
// or upgrades one keyed by (consumer, event_id) in place: the producer
// column is added with ” in the rows already there, and the primary key
// is rebuilt. Claims keep treating those rows as applied by ID alone (see
// claimQuery) until Prune removes them, so none is applied twice. The
// default ” also keeps working the inserts of a replica still running
// an older runtime during a deploy; those rows match by ID alone too.
func (s *Store) inboxSchema() []sqlstore.Query {
	return []sqlstore.Query{
		{Query: `CREATE TABLE IF NOT EXISTS ` + s.inbox + ` (
			consumer   TEXT NOT NULL,
			producer   TEXT NOT NULL DEFAULT '',
			event_id   TEXT NOT NULL,
			applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
			PRIMARY KEY (consumer, producer, event_id)
		)`},
		{Query: `ALTER TABLE ` + s.inbox + ` ADD COLUMN IF NOT EXISTS producer TEXT NOT NULL DEFAULT ''`},
		{Query: `DO $$
		DECLARE pk name;
		BEGIN
			SELECT conname INTO pk FROM pg_constraint
			WHERE conrelid = '` + s.inbox + `'::regclass AND contype = 'p' AND array_length(conkey, 1) = 2;
			IF pk IS NOT NULL THEN
				EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I, ADD PRIMARY KEY (consumer, producer, event_id)', '` + s.inbox + `', pk);
			END IF;
		END $$`},
		{Query: `CREATE INDEX IF NOT EXISTS "` + s.opts.TablePrefix + `inbox_applied_at" ON ` + s.inbox + ` (applied_at)`},
	}
}

// claimQuery inserts the row of one event unless it exists, or a row of
// its ID from before the inbox was keyed by producer does. A concurrent
// transaction inserting the same row waits for this one to end, so exactly
// one of them claims the event (READ COMMITTED, the default, is enough);
// rows without a producer are no longer written by this runtime, so their
// check needs no lock.
func (s *Store) claimQuery() string {
	return `INSERT INTO ` + s.inbox + ` (consumer, producer, event_id) SELECT $1::text, $2::text, $3::text
		WHERE NOT EXISTS (SELECT 1 FROM ` + s.inbox + ` WHERE consumer = $1::text AND producer = '' AND event_id = $3::text)
		ON CONFLICT DO NOTHING`
}

func (s *Store) pruneInbox(olderThan time.Duration) sqlstore.Query {
	return sqlstore.Query{
		Query: `DELETE FROM ` + s.inbox + ` WHERE applied_at <= now() - make_interval(secs => $1)`,
		Args:  []any{olderThan.Seconds()},
	}
}

// Begin opens the database transaction an inbox unit of work runs in.
func (s *Store) Begin(ctx context.Context) (store.InboxTx, error) {
	conn, tx, err := s.beginOnConn(ctx)
	if err != nil {
		return nil, err
	}
	t := &inboxTx{
		ctx:   ctx,
		q:     queue{conn: conn},
		pgx:   pgxDriver(conn),
		claim: s.claimQuery(),
		claimAll: `INSERT INTO ` + s.inbox + ` (consumer, producer, event_id)
			SELECT $1::text, u.producer, u.event_id FROM unnest($2::text[], $3::text[]) AS u(producer, event_id)
			WHERE NOT EXISTS (SELECT 1 FROM ` + s.inbox + ` o WHERE o.consumer = $1::text AND o.producer = '' AND o.event_id = u.event_id)
			ON CONFLICT DO NOTHING RETURNING producer, event_id`,
	}
	t.InboxTx = s.sql.Wrap(ctx, tx, t.sendSavepoint)
	return t, nil
}

var _ store.BatchClaimer = (*inboxTx)(nil)

// inboxTx adds to the shared inbox transaction the claim of a batch in
// one statement, which takes arrays: PostgreSQL's own.
type inboxTx struct {
	*sqlstore.InboxTx
	ctx      context.Context // the unit of work's, for the writes sent at Commit
	q        queue
	pgx      bool   // the connection is pgx's: writes and savepoints can be batched
	sp       string // a savepoint held to travel with the claim after it
	claim    string
	claimAll string
}

// ClaimAll claims events in one INSERT; see store.BatchClaimer.
func (t *inboxTx) ClaimAll(ctx context.Context, consumer string, events []store.EventRef) ([]bool, error) {
	if err := t.sendSavepoint(ctx); err != nil {
		return nil, err
	}
	producers, ids := make([]string, len(events)), make([]string, len(events))
	for i, e := range events {
		producers[i], ids[i] = e.Producer, e.ID
	}
	t.q.held = true // the optimistic batch: its handlers' writes can wait for the commit
	inserted, err := t.claimRows(ctx, consumer, producers, ids)
	if err != nil {
		return nil, fmt.Errorf("postgres: claim %d events for %s: %w", len(events), consumer, err)
	}
	won := make([]bool, len(events))
	for i, e := range events {
		won[i] = inserted[e]
		delete(inserted, e) // a repeated event wins once
	}
	return won, nil
}

// claimRows runs the batch claim and returns the events it inserted.
func (t *inboxTx) claimRows(ctx context.Context, consumer string, producers, ids []string) (map[store.EventRef]bool, error) {
	rows, err := t.SQL().QueryContext(ctx, t.claimAll, consumer, producers, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	inserted := make(map[store.EventRef]bool, len(ids))
	for rows.Next() {
		var e store.EventRef
		if err := rows.Scan(&e.Producer, &e.ID); err != nil {
			return nil, err
		}
		inserted[e] = true
	}
	return inserted, rows.Err()
}
