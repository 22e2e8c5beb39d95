package app

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/evgenhq/evgen/examples/users/usersevents"
)

// snapshotPage is how many users a resync reads per query. Each page is
// read, and its rows closed, before its events are published, so a large
// resync does not hold a database connection (SQLite's only one) while it
// waits for the broker.
const snapshotPage = 500

// snapshots answers consumers' resync requests (see docs/recovery.md) from
// the users table: every user, at its current version, as the event that
// carries its full state. A user who is not deleted is re-announced as
// UserRegistered with the current email, name and plan; a deleted user,
// whose personal data is erased, as UserDeleted, its tombstone, so that a
// consumer that kept a copy forgets it and one that starts from nothing
// knows the user is gone. The event carries no status: a user in the
// middle of a deletion is announced as registered, and the deletion's own
// events follow with higher versions.
type snapshots struct {
	db *sql.DB
}

var _ usersevents.SnapshotSource = snapshots{}

// SnapshotUserRegistered re-announces the users that are not deleted.
func (s snapshots) SnapshotUserRegistered(ctx context.Context, keys []string, emit func(usersevents.UserRegistered) error) error {
	return s.each(ctx, keys, func(u User) error {
		if u.Status == StatusDeleted {
			return nil
		}
		e := usersevents.UserRegistered{UserID: u.ID, Email: u.Email, Plan: u.Plan, Version: u.Version, RegisteredAt: u.CreatedAt}
		if u.Name != "" {
			e.Name = &u.Name
		}
		return emit(e)
	})
}

// SnapshotUserDeleted re-announces the deleted users' tombstones.
func (s snapshots) SnapshotUserDeleted(ctx context.Context, keys []string, emit func(usersevents.UserDeleted) error) error {
	return s.each(ctx, keys, func(u User) error {
		if u.Status != StatusDeleted {
			return nil
		}
		return emit(usersevents.UserDeleted{UserID: u.ID, Version: u.Version, DeletedAt: u.UpdatedAt})
	})
}

// each calls fn with every user whose ID is in keys, or with every user
// when keys is empty; unknown keys are skipped.
func (s snapshots) each(ctx context.Context, keys []string, fn func(User) error) error {
	if len(keys) > 0 {
		return s.byKeys(ctx, keys, fn)
	}
	after := ""
	for {
		page, err := readUserPage(ctx, s.db, after, snapshotPage)
		if err != nil || len(page) == 0 {
			return err
		}
		for _, u := range page {
			if err := fn(u); err != nil {
				return err
			}
		}
		after = page[len(page)-1].ID
	}
}

// byKeys calls fn with each user of keys that exists.
func (s snapshots) byKeys(ctx context.Context, keys []string, fn func(User) error) error {
	for _, id := range keys {
		page, err := readUsers(ctx, s.db, `WHERE id = $1`, id)
		if err != nil {
			return err
		}
		for _, u := range page {
			if err := fn(u); err != nil {
				return err
			}
		}
	}
	return nil
}

// readUserPage reads up to limit users whose ID sorts after after, in ID
// order.
func readUserPage(ctx context.Context, q querier, after string, limit int) ([]User, error) {
	return readUsers(ctx, q, `WHERE id > $1 ORDER BY id LIMIT $2`, after, limit)
}

// readUsers reads the users the clause selects, as they are stored (the
// status without billing's overdue payments, which a snapshot does not
// carry).
func readUsers(ctx context.Context, q querier, clause string, args ...any) ([]User, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, email, name, plan, status, version, created_at, updated_at FROM users `+clause, args...)
	if err != nil {
		return nil, fmt.Errorf("read users for a resync: %w", err)
	}
	defer rows.Close()
	var users []User
	for rows.Next() {
		var u User
		var created, updated string
		if err := rows.Scan(&u.ID, &u.Email, &u.Name, &u.Plan, &u.Status, &u.Version, &created, &updated); err != nil {
			return nil, fmt.Errorf("read users for a resync: %w", err)
		}
		if u.CreatedAt, err = time.Parse(time.RFC3339Nano, created); err != nil {
			return nil, fmt.Errorf("read user %s: created_at: %w", u.ID, err)
		}
		if u.UpdatedAt, err = time.Parse(time.RFC3339Nano, updated); err != nil {
			return nil, fmt.Errorf("read user %s: updated_at: %w", u.ID, err)
		}
		users = append(users, u)
	}
	return users, rows.Err()
}
