package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/evgenhq/evgen/examples/users/usersevents"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
)

// handlers reacts to billing's events. Each handler writes in the inbox
// transaction (service.Tx) and publishes through it (service.TxPublisher),
// so its writes, the record that the event was applied and the events it
// causes commit together: a redelivered event is skipped by the inbox, a
// failed one leaves no trace and is retried.
type handlers struct {
	log *slog.Logger
}

var _ usersevents.Handlers = handlers{}

// HandleInvoiceIssued adds the invoice to the user's balance due.
func (h handlers) HandleInvoiceIssued(ctx context.Context, e usersevents.InvoiceIssued, _ runtime.Meta) error {
	return recordInvoice(ctx, service.Tx(ctx), e.InvoiceID, e.UserID, e.AmountCents, invoiceUnpaid)
}

// HandlePaymentFailed marks the invoice overdue, which makes the user
// payment_overdue.
func (h handlers) HandlePaymentFailed(ctx context.Context, e usersevents.PaymentFailed, _ runtime.Meta) error {
	return recordInvoice(ctx, service.Tx(ctx), e.InvoiceID, e.UserID, e.AmountCents, invoiceOverdue)
}

// HandleInvoicePaid settles the invoice; the user is no longer
// payment_overdue once no invoice is overdue, and billing's reason for
// refusing the user's deletion is gone once none is unpaid.
func (h handlers) HandleInvoicePaid(ctx context.Context, e usersevents.InvoicePaid, _ runtime.Meta) error {
	if err := recordInvoice(ctx, service.Tx(ctx), e.InvoiceID, e.UserID, e.AmountCents, invoicePaid); err != nil {
		return err
	}
	return clearSettledReason(ctx, service.Tx(ctx), e.UserID)
}

// HandleAccountClosed completes the deletion saga: billing has closed the
// account, so the user is deleted and their personal data erased.
func (h handlers) HandleAccountClosed(ctx context.Context, e usersevents.AccountClosed, m runtime.Meta) error {
	u, ok, err := h.deletingUser(ctx, e.UserID, m)
	if !ok {
		return err
	}
	read := u.Version
	u.Status, u.Email, u.Name, u.Version, u.UpdatedAt = StatusDeleted, "", "", u.Version+1, time.Now().UTC()
	if err := updateUser(ctx, service.Tx(ctx), u, read); err != nil {
		return err
	}
	pub := usersevents.NewPublisher(service.TxPublisher(ctx))
	return pub.PublishUserDeleted(ctx, usersevents.UserDeleted{UserID: u.ID, Version: u.Version, DeletedAt: u.UpdatedAt})
}

// HandleAccountClosureRejected compensates: billing refused to close the
// account, so the deletion is abandoned and the user is active again (or
// payment_overdue, if an invoice is overdue), with billing's reason while
// an invoice it names is unpaid.
func (h handlers) HandleAccountClosureRejected(ctx context.Context, e usersevents.AccountClosureRejected, m runtime.Meta) error {
	u, ok, err := h.deletingUser(ctx, e.UserID, m)
	if !ok {
		return err
	}
	// The invoices may have been paid before this answer arrived (billing's
	// events carry no order): the reason is kept only while one is unpaid.
	paid, err := allPaid(ctx, service.Tx(ctx), e.UnpaidInvoices)
	if err != nil {
		return err
	}
	read := u.Version
	u.Status, u.StatusReason, u.Version, u.UpdatedAt = StatusActive, e.Reason, u.Version+1, time.Now().UTC()
	if paid {
		u.StatusReason = ""
	}
	if err := updateUser(ctx, service.Tx(ctx), u, read); err != nil {
		return err
	}
	if err := setStatusReason(ctx, service.Tx(ctx), u); err != nil {
		return err
	}
	pub := usersevents.NewPublisher(service.TxPublisher(ctx))
	return pub.PublishUserReactivated(ctx, usersevents.UserReactivated{UserID: u.ID, Reason: e.Reason, Version: u.Version, ReactivatedAt: u.UpdatedAt})
}

// deletingUser returns the user billing answered about, and false when the
// answer does not apply because no deletion is under way (which only a
// redriven or hand-made event can cause; it is logged and dropped).
func (h handlers) deletingUser(ctx context.Context, id string, m runtime.Meta) (User, bool, error) {
	u, err := getUser(ctx, service.Tx(ctx), id)
	switch {
	case errors.Is(err, errNotFound):
		h.log.WarnContext(ctx, "billing answered about an unknown user; ignored", "user_id", id, "event", m.Type, "event_id", m.ID)
		return User{}, false, nil
	case err != nil:
		return User{}, false, fmt.Errorf("%s: %w", m.Type, err)
	case u.Status != StatusDeleting:
		h.log.WarnContext(ctx, "billing answered about a user who is not deleting; ignored", "user_id", id, "status", u.Status, "event", m.Type, "event_id", m.ID)
		return User{}, false, nil
	}
	return u, true, nil
}
