package app

import (
	"context"
	"database/sql"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/evgenhq/evgen/examples/billing/billingevents"
	"github.com/evgenhq/evgen/runtime/store"
)

// billing is the service's state and what changes it: the commands behind
// the HTTP API and the handlers of users' events.
type billing struct {
	db    *sql.DB
	store store.Store
}

// write runs fn in one transaction with a publisher that writes fn's events
// into the outbox of that same transaction: the change and its events
// commit together, and the runtime's relay sends the events afterwards.
func (b *billing) write(ctx context.Context, fn func(tx *sql.Tx, pub *billingevents.Publisher) error) error {
	return inTx(ctx, b.db, func(tx *sql.Tx) error {
		return fn(tx, billingevents.NewPublisher(b.store.Publisher(tx)))
	})
}

// issueInvoice bills an active customer, addressed to billing's copy of
// the user's email.
func (b *billing) issueInvoice(ctx context.Context, userID string, amountCents int64) (Invoice, error) {
	var inv Invoice
	err := b.write(ctx, func(tx *sql.Tx, pub *billingevents.Publisher) error {
		c, err := getCustomer(ctx, tx, userID)
		if err != nil {
			return err
		}
		if c.Status != CustomerActive {
			return httpError{http.StatusConflict, "customer " + userID + " is " + string(c.Status) + "; no new invoices"}
		}
		now := time.Now().UTC()
		inv = Invoice{ID: uuid.NewString(), UserID: userID, Email: c.Email, AmountCents: amountCents, Status: InvoiceUnpaid, IssuedAt: now, UpdatedAt: now}
		if err := insertInvoice(ctx, tx, inv); err != nil {
			return err
		}
		return pub.PublishInvoiceIssued(ctx, billingevents.InvoiceIssued{
			InvoiceID: inv.ID, UserID: userID, Email: inv.Email, AmountCents: amountCents, IssuedAt: now,
		})
	})
	return inv, err
}

// payInvoice records a successful payment.
func (b *billing) payInvoice(ctx context.Context, id string) (Invoice, error) {
	return b.settle(ctx, id, InvoicePaid, "", func(inv Invoice, pub *billingevents.Publisher) error {
		return pub.PublishInvoicePaid(ctx, billingevents.InvoicePaid{
			InvoiceID: inv.ID, UserID: inv.UserID, AmountCents: inv.AmountCents, PaidAt: inv.UpdatedAt,
		})
	})
}

// failPayment records a failed payment: the invoice stays unpaid.
func (b *billing) failPayment(ctx context.Context, id, reason string) (Invoice, error) {
	return b.settle(ctx, id, InvoicePaymentFailed, reason, func(inv Invoice, pub *billingevents.Publisher) error {
		return pub.PublishPaymentFailed(ctx, billingevents.PaymentFailed{
			InvoiceID: inv.ID, UserID: inv.UserID, AmountCents: inv.AmountCents, Reason: reason, FailedAt: inv.UpdatedAt,
		})
	})
}

// settle moves an invoice that is not paid yet to status, with reason, and
// publishes the event announce builds; a paid invoice is final.
func (b *billing) settle(ctx context.Context, id string, status InvoiceStatus, reason string, announce func(Invoice, *billingevents.Publisher) error) (Invoice, error) {
	var inv Invoice
	err := b.write(ctx, func(tx *sql.Tx, pub *billingevents.Publisher) error {
		var err error
		if inv, err = getInvoice(ctx, tx, id); err != nil {
			return err
		}
		inv.Status, inv.FailureReason, inv.UpdatedAt = status, reason, time.Now().UTC()
		ok, err := settleInvoice(ctx, tx, inv)
		if err != nil {
			return err
		}
		if !ok {
			return httpError{http.StatusConflict, "invoice " + id + " is already paid"}
		}
		return announce(inv, pub)
	})
	return inv, err
}
