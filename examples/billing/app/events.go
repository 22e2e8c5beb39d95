package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/evgenhq/evgen/examples/billing/billingevents"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
)

// handlers keeps billing's copy of each user from users' events and
// answers deletion requests. Each handler writes in the inbox transaction
// (service.Tx) and publishes through it (service.TxPublisher), so its
// writes, the record that the event was applied and the events it causes
// commit together.
//
// Ordering: every users event carries the user's version, one more with
// each change. A handler applies an event only when its version is newer
// than the copy's, so an event that arrives late (older than what billing
// holds) changes nothing; a second copy of an event is dropped by the inbox
// before it gets here, and by this rule if it had a new event ID.
type handlers struct {
	log *slog.Logger
}

var _ billingevents.Handlers = handlers{}

// HandleUserRegistered starts billing's copy of a new user. It also takes
// the users re-announce when billing asks for a resync (see resync.go):
// the same event, at the user's current version, so it replaces a copy
// older than that version and leaves a copy as new or newer as it is.
func (h handlers) HandleUserRegistered(ctx context.Context, e billingevents.UserRegistered, m runtime.Meta) error {
	c := Customer{UserID: e.UserID, Email: e.Email, Plan: e.Plan, Status: CustomerActive, Version: e.Version, UpdatedAt: time.Now().UTC()}
	return h.upsert(ctx, m, c)
}

// HandleUserEmailChanged updates the email invoices go to.
func (h handlers) HandleUserEmailChanged(ctx context.Context, e billingevents.UserEmailChanged, m runtime.Meta) error {
	_, _, err := h.apply(ctx, m, e.UserID, e.Version, func(c *Customer) { c.Email = e.Email })
	return err
}

// HandleUserPlanChanged updates the plan the user is billed for.
func (h handlers) HandleUserPlanChanged(ctx context.Context, e billingevents.UserPlanChanged, m runtime.Meta) error {
	_, _, err := h.apply(ctx, m, e.UserID, e.Version, func(c *Customer) { c.Plan = e.Plan })
	return err
}

// HandleUserDeletionRequested closes the account and says so, or refuses
// while invoices are unpaid and says why: users completes or abandons the
// deletion on that answer.
func (h handlers) HandleUserDeletionRequested(ctx context.Context, e billingevents.UserDeletionRequested, m runtime.Meta) error {
	unpaid, err := unpaidInvoices(ctx, service.Tx(ctx), e.UserID)
	if err != nil {
		return err
	}
	c, applied, err := h.apply(ctx, m, e.UserID, e.Version, func(c *Customer) {
		if len(unpaid) == 0 {
			c.Status = CustomerClosed
		}
	})
	if !applied {
		return err
	}
	pub := billingevents.NewPublisher(service.TxPublisher(ctx))
	if len(unpaid) > 0 {
		return pub.PublishAccountClosureRejected(ctx, billingevents.AccountClosureRejected{
			UserID: e.UserID, Reason: unpaidReason(len(unpaid)), UnpaidInvoices: unpaid, RejectedAt: c.UpdatedAt,
		})
	}
	return pub.PublishAccountClosed(ctx, billingevents.AccountClosed{UserID: e.UserID, ClosedAt: c.UpdatedAt})
}

// HandleUserReactivated keeps the copy in step when users abandoned a
// deletion billing refused.
func (h handlers) HandleUserReactivated(ctx context.Context, e billingevents.UserReactivated, m runtime.Meta) error {
	_, _, err := h.apply(ctx, m, e.UserID, e.Version, func(c *Customer) { c.Status = CustomerActive })
	return err
}

// HandleUserDeleted forgets the user: the copy keeps only its ID, version
// and status, so that a late event cannot bring the user back. A user
// billing never knew (users re-announces deleted users this way in a
// resync) gets such a tombstone too.
func (h handlers) HandleUserDeleted(ctx context.Context, e billingevents.UserDeleted, m runtime.Meta) error {
	_, _, err := h.apply(ctx, m, e.UserID, e.Version, func(c *Customer) { c.Status, c.Email = CustomerDeleted, "" })
	if errors.Is(err, errUnknownUser) {
		return h.upsert(ctx, m, Customer{UserID: e.UserID, Status: CustomerDeleted, Version: e.Version, UpdatedAt: time.Now().UTC()})
	}
	return err
}

// upsert stores c as billing's copy of the user when billing has none,
// or in place of a copy older than c, and records the change; a copy as
// new as c or newer stays as it is (a stale or repeated snapshot).
func (h handlers) upsert(ctx context.Context, m runtime.Meta, c Customer) error {
	tx := service.Tx(ctx)
	stored, err := insertCustomer(ctx, tx, c)
	if err == nil && !stored {
		stored, err = updateCustomer(ctx, tx, c)
	}
	if err != nil {
		return err
	}
	if !stored {
		h.log.InfoContext(ctx, "stale event ignored", "event", m.Type, "event_id", m.ID, "user_id", c.UserID, "event_version", c.Version)
		return nil
	}
	return recordChange(ctx, tx, c, m.Type, m.ID)
}

// apply edits billing's copy of a user when version is newer than the
// copy's, and records the change; applied is false, and nothing is
// written, for a stale event.
func (h handlers) apply(ctx context.Context, m runtime.Meta, userID string, version int64, edit func(*Customer)) (c Customer, applied bool, err error) {
	tx := service.Tx(ctx)
	c, err = getCustomer(ctx, tx, userID)
	switch {
	case errors.Is(err, errNotFound):
		// Users publishes a user's registration before any change, but a
		// billing that started after the registration never got it. The
		// error retries the event, then dead-letters it, to be redriven
		// once billing has caught up (see docs/recovery.md); dropping it
		// would lose the change for good.
		return c, false, fmt.Errorf("%s v%d about user %s: %w", m.Type, version, userID, errUnknownUser)
	case err != nil:
		return c, false, err
	case version <= c.Version:
		h.log.InfoContext(ctx, "stale event ignored", "event", m.Type, "event_id", m.ID, "user_id", userID, "event_version", version, "held_version", c.Version)
		return c, false, nil
	}
	edit(&c)
	c.Version, c.UpdatedAt = version, time.Now().UTC()
	if applied, err = updateCustomer(ctx, tx, c); err != nil || !applied {
		return c, false, err
	}
	return c, true, recordChange(ctx, tx, c, m.Type, m.ID)
}

// errUnknownUser is an event about a user billing has no copy of.
var errUnknownUser = errors.New("billing does not know the user: its registration was not applied (ask users to re-announce it: POST /admin/resync)")

// unpaidReason says why billing refuses to close an account.
func unpaidReason(n int) string {
	if n == 1 {
		return "1 invoice is unpaid"
	}
	return fmt.Sprintf("%d invoices are unpaid", n)
}
