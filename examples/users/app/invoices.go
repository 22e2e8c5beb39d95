package app

import (
	"context"
	"fmt"
)

// The states of an invoice as users knows it from billing's events.
const (
	invoiceUnpaid  = "unpaid"
	invoiceOverdue = "overdue" // a payment failed
	invoicePaid    = "paid"
)

// recordInvoice stores what billing said about an invoice. An invoice only
// moves forward, unpaid -> overdue -> paid (a failed payment can precede
// the one that succeeds, never follow it), so a state never replaces a
// later one: the outcome does not depend on the order events of different
// types arrive in.
func recordInvoice(ctx context.Context, q querier, invoiceID, userID string, amountCents int64, state string) error {
	_, err := q.ExecContext(ctx, `INSERT INTO user_invoices (invoice_id, user_id, amount_cents, state)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT (invoice_id) DO UPDATE SET state = excluded.state
		WHERE user_invoices.state = 'unpaid' AND excluded.state <> 'unpaid'
		   OR user_invoices.state = 'overdue' AND excluded.state = 'paid'`,
		invoiceID, userID, amountCents, state)
	if err != nil {
		return fmt.Errorf("record invoice %s as %s: %w", invoiceID, state, err)
	}
	return nil
}
