package app

import (
	"context"
	"database/sql"
	"time"

	"github.com/google/uuid"

	"github.com/evgenhq/evgen/examples/users/usersevents"
	"github.com/evgenhq/evgen/runtime/store"
)

// users is the service's state and what changes it: the commands behind
// the HTTP API and the handlers of billing's events.
type users struct {
	db    *sql.DB
	store store.Store
}

// write runs fn in one transaction with a publisher that writes fn's events
// into the outbox of that same transaction: the change and its events
// commit together, and the runtime's relay sends the events afterwards.
func (s *users) write(ctx context.Context, fn func(tx *sql.Tx, pub *usersevents.Publisher) error) error {
	return inTx(ctx, s.db, func(tx *sql.Tx) error {
		return fn(tx, usersevents.NewPublisher(s.store.Publisher(tx)))
	})
}

// registration is what POST /users accepts, once validated.
type registration struct {
	Email string
	Name  string
	Plan  usersevents.Plan
}

// register creates an active user at version 1 and announces it.
func (s *users) register(ctx context.Context, r registration) (User, error) {
	now := time.Now().UTC()
	u := User{ID: uuid.NewString(), Email: r.Email, Name: r.Name, Plan: r.Plan, Status: StatusActive, Version: 1, CreatedAt: now, UpdatedAt: now}
	err := s.write(ctx, func(tx *sql.Tx, pub *usersevents.Publisher) error {
		if err := insertUser(ctx, tx, u); err != nil {
			return err
		}
		e := usersevents.UserRegistered{UserID: u.ID, Email: u.Email, Plan: u.Plan, Version: u.Version, RegisteredAt: now}
		if u.Name != "" {
			e.Name = &u.Name
		}
		return pub.PublishUserRegistered(ctx, e)
	})
	return u, err
}

// patch is what PATCH /users/{id} accepts, once validated; nil fields stay
// as they are.
type patch struct {
	Email *string
	Name  *string
	Plan  *usersevents.Plan
}

// change applies p. A new email and a new plan are each one change, with
// its own version and event. A new name is users' own business and is not
// announced, but it takes a version too: the version is also what keeps a
// concurrent change from being overwritten (see updateUser). Consumers
// only compare versions, so the gap does not matter to them.
func (s *users) change(ctx context.Context, id string, p patch) (User, error) {
	var u User
	err := s.write(ctx, func(tx *sql.Tx, pub *usersevents.Publisher) error {
		var err error
		if u, err = getUser(ctx, tx, id); err != nil {
			return err
		}
		if !u.editable() {
			return errNotEditable(u)
		}
		read, now := u.Version, time.Now().UTC()
		if p.Name != nil && *p.Name != u.Name {
			u.Name, u.Version = *p.Name, u.Version+1
		}
		if p.Email != nil && *p.Email != u.Email {
			u.Email, u.Version = *p.Email, u.Version+1
			err := pub.PublishUserEmailChanged(ctx, usersevents.UserEmailChanged{UserID: id, Email: u.Email, Version: u.Version, ChangedAt: now})
			if err != nil {
				return err
			}
		}
		if p.Plan != nil && *p.Plan != u.Plan {
			previous := u.Plan
			u.Plan, u.Version = *p.Plan, u.Version+1
			err := pub.PublishUserPlanChanged(ctx, usersevents.UserPlanChanged{UserID: id, Plan: u.Plan, PreviousPlan: previous, Version: u.Version, ChangedAt: now})
			if err != nil {
				return err
			}
		}
		u.UpdatedAt = now
		return updateUser(ctx, tx, u, read)
	})
	return u, err
}

// requestDeletion starts the deletion saga: the user is deleting until
// billing answers (see the handlers). Asking again while deleting changes
// nothing.
func (s *users) requestDeletion(ctx context.Context, id string) (User, error) {
	var u User
	err := s.write(ctx, func(tx *sql.Tx, pub *usersevents.Publisher) error {
		var err error
		if u, err = getUser(ctx, tx, id); err != nil || u.Status == StatusDeleting {
			return err
		}
		if !u.editable() {
			return errNotEditable(u)
		}
		read, now := u.Version, time.Now().UTC()
		u.Status, u.StatusReason, u.Version, u.UpdatedAt = StatusDeleting, "", u.Version+1, now
		if err := updateUser(ctx, tx, u, read); err != nil {
			return err
		}
		if err := setStatusReason(ctx, tx, u); err != nil {
			return err
		}
		return pub.PublishUserDeletionRequested(ctx, usersevents.UserDeletionRequested{UserID: id, Version: u.Version, RequestedAt: now})
	})
	return u, err
}
