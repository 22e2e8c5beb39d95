package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/internal/sqlstore"
)

func (s *Store) inboxSchema() []sqlstore.Query {
	return []sqlstore.Query{
		{Query: `CREATE TABLE IF NOT EXISTS ` + s.inbox + ` (
			consumer   TEXT NOT NULL,
			event_id   TEXT NOT NULL,
			applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
			PRIMARY KEY (consumer, event_id)
		)`},
		{Query: `CREATE INDEX IF NOT EXISTS "` + s.opts.TablePrefix + `inbox_applied_at" ON ` + s.inbox + ` (applied_at)`},
	}
}

func (s *Store) pruneInbox(olderThan time.Duration) sqlstore.Query {
	return sqlstore.Query{
		Query: `DELETE FROM ` + s.inbox + ` WHERE applied_at <= now() - make_interval(secs => $1)`,
		Args:  []any{olderThan.Seconds()},
	}
}

// Begin opens the database transaction an inbox unit of work runs in.
func (s *Store) Begin(ctx context.Context) (runtime.InboxTx, error) {
	tx, err := s.sql.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return &inboxTx{
		InboxTx:  tx,
		claimAll: `INSERT INTO ` + s.inbox + ` (consumer, event_id) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING RETURNING event_id`,
	}, nil
}

var _ runtime.BatchClaimer = (*inboxTx)(nil)

// inboxTx adds to the shared inbox transaction the claim of a batch in
// one statement, which takes an array: PostgreSQL's own.
type inboxTx struct {
	*sqlstore.InboxTx
	claimAll string
}

// ClaimAll claims eventIDs in one INSERT; see runtime.BatchClaimer.
func (t *inboxTx) ClaimAll(ctx context.Context, consumer string, eventIDs []string) ([]bool, error) {
	rows, err := t.SQL().QueryContext(ctx, t.claimAll, consumer, eventIDs)
	if err != nil {
		return nil, fmt.Errorf("pgstore: claim %d events for %s: %w", len(eventIDs), consumer, err)
	}
	defer rows.Close()
	inserted := make(map[string]bool, len(eventIDs))
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("pgstore: claim %d events for %s: %w", len(eventIDs), consumer, err)
		}
		inserted[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pgstore: claim %d events for %s: %w", len(eventIDs), consumer, err)
	}
	won := make([]bool, len(eventIDs))
	for i, id := range eventIDs {
		won[i] = inserted[id]
		delete(inserted, id) // a repeated ID wins once
	}
	return won, nil
}
