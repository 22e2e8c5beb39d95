package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/evgenhq/evgen/examples/billing/billingevents"
)

// CustomerStatus is where billing's copy of a user stands.
type CustomerStatus string

// The statuses of a customer: closed once billing closed the account for
// a deletion, deleted once users completed it (the email is then erased).
const (
	CustomerActive  CustomerStatus = "active"
	CustomerClosed  CustomerStatus = "closed"
	CustomerDeleted CustomerStatus = "deleted"
)

// Customer is billing's own copy of a user, kept from users' events, as
// GET /customers/{user_id} shows it.
type Customer struct {
	UserID string             `json:"user_id"`
	Email  string             `json:"email"`
	Plan   billingevents.Plan `json:"plan,omitempty"` // absent when billing knows the user only as deleted
	Status CustomerStatus     `json:"status"`
	// Version is the version of the last users event applied; the
	// runtime drops an event with a version not above it (order_by in
	// users' contract).
	Version   int64     `json:"version"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Change is one users event billing applied to its copy of a user, as
// GET /customers/{user_id}/changes lists them: each version at most once.
type Change struct {
	Version   int64              `json:"version"`
	EventType string             `json:"event_type"`
	EventID   string             `json:"event_id"`
	Email     string             `json:"email"`
	Plan      billingevents.Plan `json:"plan,omitempty"`
	Status    CustomerStatus     `json:"status"`
	AppliedAt time.Time          `json:"applied_at"`
}

// The service's own tables; the store adds its inbox and outbox next to
// them. Types are the common ground of SQLite and PostgreSQL, and times are
// RFC 3339 text, so one set of queries serves both.
var schema = []string{
	`CREATE TABLE IF NOT EXISTS customers (
		user_id    TEXT PRIMARY KEY,
		email      TEXT NOT NULL,
		plan       TEXT NOT NULL,
		status     TEXT NOT NULL,
		version    BIGINT NOT NULL,
		updated_at TEXT NOT NULL
	)`,
	// The changes applied to each customer, kept so support can tell which
	// email an invoice went to and when it changed. The key is what the
	// runtime's order check (order_by) promises: each version of a user
	// applied once.
	`CREATE TABLE IF NOT EXISTS customer_changes (
		user_id    TEXT NOT NULL,
		version    BIGINT NOT NULL,
		event_type TEXT NOT NULL,
		event_id   TEXT NOT NULL,
		email      TEXT NOT NULL,
		plan       TEXT NOT NULL,
		status     TEXT NOT NULL,
		applied_at TEXT NOT NULL,
		PRIMARY KEY (user_id, version)
	)`,
	`CREATE TABLE IF NOT EXISTS invoices (
		id             TEXT PRIMARY KEY,
		user_id        TEXT NOT NULL,
		email          TEXT NOT NULL,
		amount_cents   BIGINT NOT NULL,
		status         TEXT NOT NULL,
		failure_reason TEXT NOT NULL DEFAULT '',
		issued_at      TEXT NOT NULL,
		updated_at     TEXT NOT NULL
	)`,
	`CREATE INDEX IF NOT EXISTS invoices_by_user ON invoices (user_id, status)`,
}

// createTables creates the service's tables if they do not exist.
func createTables(ctx context.Context, db *sql.DB) error {
	for _, stmt := range schema {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("create tables: %w", err)
		}
	}
	return nil
}

var errNotFound = errors.New("not found")

// getCustomer reads billing's copy of a user; errNotFound when billing has
// none (yet).
func getCustomer(ctx context.Context, q querier, userID string) (Customer, error) {
	var c Customer
	var updated string
	err := q.QueryRowContext(ctx, `SELECT user_id, email, plan, status, version, updated_at FROM customers WHERE user_id = $1`, userID).
		Scan(&c.UserID, &c.Email, &c.Plan, &c.Status, &c.Version, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return Customer{}, errNotFound
	}
	if err != nil {
		return Customer{}, fmt.Errorf("read customer %s: %w", userID, err)
	}
	if c.UpdatedAt, err = time.Parse(time.RFC3339Nano, updated); err != nil {
		return Customer{}, fmt.Errorf("read customer %s: updated_at: %w", userID, err)
	}
	return c, nil
}

// saveCustomer stores c as billing's copy of the user, in place of any
// copy there.
func saveCustomer(ctx context.Context, q querier, c Customer) error {
	_, err := q.ExecContext(ctx, `INSERT INTO customers (user_id, email, plan, status, version, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, plan = excluded.plan, status = excluded.status,
			version = excluded.version, updated_at = excluded.updated_at`,
		c.UserID, c.Email, c.Plan, c.Status, c.Version, c.UpdatedAt.UTC().Format(time.RFC3339Nano))
	if err != nil {
		return fmt.Errorf("save customer %s: %w", c.UserID, err)
	}
	return nil
}

// recordChange remembers that the event applied c's current version.
func recordChange(ctx context.Context, q querier, c Customer, eventType, eventID string) error {
	_, err := q.ExecContext(ctx, `INSERT INTO customer_changes (user_id, version, event_type, event_id, email, plan, status, applied_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		c.UserID, c.Version, eventType, eventID, c.Email, c.Plan, c.Status, c.UpdatedAt.UTC().Format(time.RFC3339Nano))
	if err != nil {
		return fmt.Errorf("record change v%d of customer %s: %w", c.Version, c.UserID, err)
	}
	return nil
}

// listChanges returns the changes applied to a customer, oldest first.
func listChanges(ctx context.Context, q querier, userID string) ([]Change, error) {
	rows, err := q.QueryContext(ctx, `SELECT version, event_type, event_id, email, plan, status, applied_at
		FROM customer_changes WHERE user_id = $1 ORDER BY version`, userID)
	if err != nil {
		return nil, fmt.Errorf("list changes of customer %s: %w", userID, err)
	}
	defer rows.Close()
	changes := []Change{}
	for rows.Next() {
		var ch Change
		var applied string
		if err := rows.Scan(&ch.Version, &ch.EventType, &ch.EventID, &ch.Email, &ch.Plan, &ch.Status, &applied); err != nil {
			return nil, fmt.Errorf("list changes of customer %s: %w", userID, err)
		}
		if ch.AppliedAt, err = time.Parse(time.RFC3339Nano, applied); err != nil {
			return nil, fmt.Errorf("list changes of customer %s: applied_at: %w", userID, err)
		}
		changes = append(changes, ch)
	}
	return changes, rows.Err()
}
