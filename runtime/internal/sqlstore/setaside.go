package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/evgenhq/evgen/runtime/store"
)

// SetAside is the operator's side of a store's set-aside outbox rows (see
// store.SetAsideOutbox), the same for both databases but for the SQL.
// Rows have the columns id, payload, metadata (JSON text), reason and
// set_aside_at (Unix nanoseconds, so that both dialects scan it alike).
type SetAside struct {
	*Store
	// Table is the quoted name of the set-aside table, for errors.
	Table string
	// List selects every row's id, payload, metadata, reason and
	// set_aside_at, oldest first; Get selects the same of the row whose id
	// is the argument, locking it where the database can; Delete deletes it.
	List, Get, Delete string
	// Requeue writes r back into the outbox in tx, as a new row after every
	// row committed before.
	Requeue func(ctx context.Context, tx *sql.Tx, r store.SetAsideRow) error
}

// ListSetAside returns the set-aside rows, oldest first.
func (a SetAside) ListSetAside(ctx context.Context) ([]store.SetAsideRow, error) {
	rows, err := a.DB.QueryContext(ctx, a.List)
	if err != nil {
		return nil, fmt.Errorf("%s: list set-aside outbox rows: %w", a.Name, err)
	}
	defer rows.Close()
	var out []store.SetAsideRow
	for rows.Next() {
		r, err := scanSetAside(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: list set-aside outbox rows: %w", a.Name, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: list set-aside outbox rows: %w", a.Name, err)
	}
	return out, nil
}

// RetrySetAside moves the rows of ids back into the outbox, in one
// transaction.
func (a SetAside) RetrySetAside(ctx context.Context, ids ...string) (int, error) {
	return a.take(ctx, "retry", ids, a.Requeue)
}

// DropSetAside deletes the rows of ids, in one transaction.
func (a SetAside) DropSetAside(ctx context.Context, ids ...string) (int, error) {
	return a.take(ctx, "drop", ids, nil)
}

// take deletes the rows of ids, passing each to fn first, in the order of
// ids; when one is not set aside nothing changes and the error names it.
func (a SetAside) take(ctx context.Context, what string, ids []string, fn func(context.Context, *sql.Tx, store.SetAsideRow) error) (int, error) {
	n := 0
	err := a.InTx(ctx, what+" set-aside outbox rows", func(tx *sql.Tx) error {
		rows, err := a.get(ctx, tx, ids)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if fn != nil {
				if err := fn(ctx, tx, r); err != nil {
					return fmt.Errorf("requeue event %s: %w", r.ID, err)
				}
			}
			if _, err := tx.ExecContext(ctx, a.Delete, r.ID); err != nil {
				return fmt.Errorf("delete event %s from %s: %w", r.ID, a.Table, err)
			}
		}
		n = len(rows)
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// get reads the rows of ids, each once, or fails naming those missing.
func (a SetAside) get(ctx context.Context, tx *sql.Tx, ids []string) ([]store.SetAsideRow, error) {
	var rows []store.SetAsideRow
	var missing []string
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		r, err := scanSetAside(tx.QueryRowContext(ctx, a.Get, id))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			missing = append(missing, id)
		case err != nil:
			return nil, fmt.Errorf("read event %s from %s: %w", id, a.Table, err)
		default:
			rows = append(rows, r)
		}
	}
	if len(missing) > 0 {
		return nil, store.NotSetAside(missing)
	}
	return rows, nil
}

func scanSetAside(row interface{ Scan(...any) error }) (store.SetAsideRow, error) {
	var r store.SetAsideRow
	var meta string
	var at int64
	if err := row.Scan(&r.ID, &r.Payload, &meta, &r.Reason, &at); err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(meta), &r.Metadata); err != nil {
		return r, fmt.Errorf("event %s: metadata: %w", r.ID, err)
	}
	r.At = time.Unix(0, at)
	return r, nil
}

// MetadataJSON is m as the metadata column holds it.
func MetadataJSON(m map[string]string) (string, error) {
	b, err := json.Marshal(m)
	return string(b), err
}

// Owner is a store's record of the service that relays its outbox: a table
// of one row (the column service).
type Owner struct {
	*Store
	// Table is the quoted name of the owner table, Outbox the outbox's.
	Table, Outbox string
	// Insert inserts the row (service) unless there is one; Select selects
	// the service of the row.
	Insert, Select string
}

// ClaimOutbox records service as the owner if there is none, and fails
// naming both if another service owns the outbox.
func (o Owner) ClaimOutbox(ctx context.Context, service string) error {
	var owner string
	err := o.InTx(ctx, "claim the outbox", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, o.Insert, o.args(service)...); err != nil {
			return fmt.Errorf("record the owner in %s: %w", o.Table, err)
		}
		return tx.QueryRowContext(ctx, o.Select).Scan(&owner)
	})
	if err != nil {
		return err
	}
	if owner != service {
		return store.OutboxOwnedError("outbox table "+o.Outbox, owner, service, "delete the row of "+o.Table)
	}
	return nil
}
