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

// clearSettledReason forgets billing's reason for refusing the user's
// deletion once every invoice of the user is paid: billing refuses only
// over unpaid invoices (AccountClosureRejected.UnpaidInvoices), so the
// reason no longer holds, and showing it would mislead. The reason is
// users' own note, in no event, so the user's version stays.
func clearSettledReason(ctx context.Context, q querier, userID string) error {
	_, err := q.ExecContext(ctx, `UPDATE users SET status_reason = ''
		WHERE id = $1 AND status_reason <> ''
		  AND NOT EXISTS (SELECT 1 FROM user_invoices WHERE user_id = $1 AND state <> $2)`,
		userID, invoicePaid)
	if err != nil {
		return fmt.Errorf("clear the settled deletion reason of user %s: %w", userID, err)
	}
	return nil
}

// allPaid reports whether users knows every one of the invoices as paid.
func allPaid(ctx context.Context, q querier, invoiceIDs []string) (bool, error) {
	for _, id := range invoiceIDs {
		var paid bool
		err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM user_invoices WHERE invoice_id = $1 AND state = $2)`, id, invoicePaid).Scan(&paid)
		if err != nil {
			return false, fmt.Errorf("read invoice %s: %w", id, err)
		}
		if !paid {
			return false, nil
		}
	}
	return true, nil
}
