package app

import (
	"context"
	"errors"
	"fmt"
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
// Ordering: users' contract orders a user's events by version (order_by:
// {user_id: version}), so the runtime drops an event not newer than the
// last one billing applied to that user before a handler runs, as its
// inbox drops a second copy of an event. A handler here only ever sees
// a user's events in increasing versions, and holds the business rule.
type handlers struct{}

var _ billingevents.Handlers = handlers{}

// HandleUserRegistered starts billing's copy of a new user. It also takes
// the users re-announce when billing asks for a resync (see resync.go):
// the same event, at the user's current version, which replaces the copy
// (the runtime has dropped it if billing's copy is as new).
func (h handlers) HandleUserRegistered(ctx context.Context, e billingevents.UserRegistered, m runtime.Meta) error {
	return h.save(ctx, m, Customer{UserID: e.UserID, Email: e.Email, Plan: e.Plan, Status: CustomerActive, Version: e.Version, UpdatedAt: time.Now().UTC()})
}

// HandleUserEmailChanged updates the email invoices go to.
func (h handlers) HandleUserEmailChanged(ctx context.Context, e billingevents.UserEmailChanged, m runtime.Meta) error {
	_, err := h.apply(ctx, m, e.UserID, e.Version, func(c *Customer) { c.Email = e.Email })
	return err
}

// HandleUserPlanChanged updates the plan the user is billed for.
func (h handlers) HandleUserPlanChanged(ctx context.Context, e billingevents.UserPlanChanged, m runtime.Meta) error {
	_, err := h.apply(ctx, m, e.UserID, e.Version, func(c *Customer) { c.Plan = e.Plan })
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
	c, err := h.apply(ctx, m, e.UserID, e.Version, func(c *Customer) {
		if len(unpaid) == 0 {
			c.Status = CustomerClosed
		}
	})
	if err != nil {
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
	_, err := h.apply(ctx, m, e.UserID, e.Version, func(c *Customer) { c.Status = CustomerActive })
	return err
}

// HandleUserDeleted forgets the user: the copy keeps only its ID, version
// and status. A user billing never knew (users re-announces deleted users
// this way in a resync) gets such a copy too.
func (h handlers) HandleUserDeleted(ctx context.Context, e billingevents.UserDeleted, m runtime.Meta) error {
	_, err := h.apply(ctx, m, e.UserID, e.Version, func(c *Customer) { c.Status, c.Email = CustomerDeleted, "" })
	if errors.Is(err, errUnknownUser) {
		return h.save(ctx, m, Customer{UserID: e.UserID, Status: CustomerDeleted, Version: e.Version, UpdatedAt: time.Now().UTC()})
	}
	return err
}

// save stores c as billing's copy of the user, in place of any copy
// there, and records the change.
func (h handlers) save(ctx context.Context, m runtime.Meta, c Customer) error {
	tx := service.Tx(ctx)
	if err := saveCustomer(ctx, tx, c); err != nil {
		return err
	}
	return recordChange(ctx, tx, c, m.Type, m.ID)
}

// apply edits billing's copy of a user, brings it to version, and records
// the change.
func (h handlers) apply(ctx context.Context, m runtime.Meta, userID string, version int64, edit func(*Customer)) (Customer, error) {
	tx := service.Tx(ctx)
	c, err := getCustomer(ctx, tx, userID)
	switch {
	case errors.Is(err, errNotFound):
		// Users publishes a user's registration before any change, but a
		// billing that started after the registration never got it. The
		// error retries the event, then dead-letters it, to be redriven
		// once billing has caught up (see docs/recovery.md); dropping it
		// would lose the change for good.
		return c, fmt.Errorf("%s v%d about user %s: %w", m.Type, version, userID, errUnknownUser)
	case err != nil:
		return c, err
	}
	edit(&c)
	c.Version, c.UpdatedAt = version, time.Now().UTC()
	if err := saveCustomer(ctx, tx, c); err != nil {
		return c, err
	}
	return c, recordChange(ctx, tx, c, m.Type, m.ID)
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
