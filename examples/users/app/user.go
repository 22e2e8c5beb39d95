package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/evgenhq/evgen/examples/users/usersevents"
)

// Status is where a user stands.
type Status string

// The statuses of a user: deleting between DELETE and billing's answer,
// deleted once billing closed the account. Payment_overdue is not stored:
// an active user shows it while billing reports a failed payment that was
// not paid since, so billing's events never write the user's row and never
// race with the user's own changes.
const (
	StatusActive         Status = "active"
	StatusPaymentOverdue Status = "payment_overdue"
	StatusDeleting       Status = "deleting"
	StatusDeleted        Status = "deleted"
)

// User is a user account, as GET /users/{id} shows it.
type User struct {
	ID    string           `json:"id"`
	Email string           `json:"email"`
	Name  string           `json:"name"`
	Plan  usersevents.Plan `json:"plan"`
	// Status, and StatusReason when billing's answer changed it.
	Status       Status `json:"status"`
	StatusReason string `json:"status_reason,omitempty"`
	// BalanceDueCents sums the user's invoices billing has not seen paid.
	BalanceDueCents int64 `json:"balance_due_cents"`
	// Version is 1 at registration and one more with each change; every
	// event about the user carries it, so that consumers can tell a stale
	// event from a newer one.
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// editable reports whether the user may still be changed: not once a
// deletion started.
func (u User) editable() bool {
	return u.Status == StatusActive || u.Status == StatusPaymentOverdue
}

// The service's own tables; the store adds its inbox and outbox next to
// them. Types are the common ground of SQLite and PostgreSQL, and times are
// RFC 3339 text, so one set of queries serves both.
var schema = []string{
	`CREATE TABLE IF NOT EXISTS users (
		id            TEXT PRIMARY KEY,
		email         TEXT NOT NULL,
		name          TEXT NOT NULL,
		plan          TEXT NOT NULL,
		status        TEXT NOT NULL,
		status_reason TEXT NOT NULL DEFAULT '',
		version       BIGINT NOT NULL,
		created_at    TEXT NOT NULL,
		updated_at    TEXT NOT NULL
	)`,
	// Billing's invoices as users learns of them: unpaid, overdue (a
	// payment failed) or paid.
	`CREATE TABLE IF NOT EXISTS user_invoices (
		invoice_id   TEXT PRIMARY KEY,
		user_id      TEXT NOT NULL,
		amount_cents BIGINT NOT NULL,
		state        TEXT NOT NULL
	)`,
	`CREATE INDEX IF NOT EXISTS user_invoices_by_user ON user_invoices (user_id, state)`,
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

var (
	errNotFound = errors.New("not found")
	// errConflict means the user changed between read and write: another
	// request won, and this one may be retried.
	errConflict = errors.New("the user changed concurrently; retry")
)

const selectUser = `SELECT id, email, name, plan, status, status_reason, version, created_at, updated_at,
	(SELECT CAST(COALESCE(SUM(amount_cents), 0) AS BIGINT) FROM user_invoices
	 WHERE user_id = users.id AND state <> 'paid'),
	EXISTS (SELECT 1 FROM user_invoices WHERE user_id = users.id AND state = 'overdue')
	FROM users WHERE id = $1`

// getUser reads a user; errNotFound when there is none.
func getUser(ctx context.Context, q querier, id string) (User, error) {
	var u User
	var created, updated string
	var overdue bool
	err := q.QueryRowContext(ctx, selectUser, id).Scan(&u.ID, &u.Email, &u.Name, &u.Plan, &u.Status, &u.StatusReason,
		&u.Version, &created, &updated, &u.BalanceDueCents, &overdue)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, errNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("read user %s: %w", id, err)
	}
	if u.Status == StatusActive && overdue {
		u.Status = StatusPaymentOverdue
	}
	if u.CreatedAt, err = time.Parse(time.RFC3339Nano, created); err != nil {
		return User{}, fmt.Errorf("read user %s: created_at: %w", id, err)
	}
	if u.UpdatedAt, err = time.Parse(time.RFC3339Nano, updated); err != nil {
		return User{}, fmt.Errorf("read user %s: updated_at: %w", id, err)
	}
	return u, nil
}

// storedStatus is the status kept in the users table (see Status).
func (u User) storedStatus() Status {
	if u.Status == StatusPaymentOverdue {
		return StatusActive
	}
	return u.Status
}

// insertUser stores a new user.
func insertUser(ctx context.Context, q querier, u User) error {
	_, err := q.ExecContext(ctx, `INSERT INTO users (id, email, name, plan, status, version, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`,
		u.ID, u.Email, u.Name, u.Plan, u.Status, u.Version, u.CreatedAt.UTC().Format(time.RFC3339Nano))
	if err != nil {
		return fmt.Errorf("insert user %s: %w", u.ID, err)
	}
	return nil
}

// updateUser writes u over the stored user if the stored one is still at
// version read (optimistic locking: the version every event carries is also
// what keeps two concurrent changes from overwriting each other). It leaves
// status_reason alone: clearSettledReason clears it without a new version
// (it is in no event), so writing back the reason read would undo a clear
// made in between; setStatusReason writes it where a change sets it.
func updateUser(ctx context.Context, q querier, u User, read int64) error {
	res, err := q.ExecContext(ctx, `UPDATE users
		SET email = $2, name = $3, plan = $4, status = $5, version = $6, updated_at = $7
		WHERE id = $1 AND version = $8`,
		u.ID, u.Email, u.Name, u.Plan, u.storedStatus(), u.Version, u.UpdatedAt.UTC().Format(time.RFC3339Nano), read)
	if err != nil {
		return fmt.Errorf("update user %s: %w", u.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return errConflict
	}
	return nil
}

// setStatusReason stores u's status reason; call it after updateUser, in
// the same transaction, for a change that sets the reason.
func setStatusReason(ctx context.Context, q querier, u User) error {
	if _, err := q.ExecContext(ctx, `UPDATE users SET status_reason = $2 WHERE id = $1`, u.ID, u.StatusReason); err != nil {
		return fmt.Errorf("set the status reason of user %s: %w", u.ID, err)
	}
	return nil
}
