package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// InvoiceStatus is where an invoice stands.
type InvoiceStatus string

// The statuses of an invoice. An invoice is unpaid until it is paid; a
// failed payment leaves it payment_failed, still unpaid, until a payment
// succeeds.
const (
	InvoiceUnpaid        InvoiceStatus = "unpaid"
	InvoicePaymentFailed InvoiceStatus = "payment_failed"
	InvoicePaid          InvoiceStatus = "paid"
)

// Invoice is a bill sent to a user, as GET /invoices/{id} shows it.
type Invoice struct {
	ID     string `json:"id"`
	UserID string `json:"user_id"`
	// Email is where the invoice went: billing's copy of the user's email
	// when it was issued.
	Email         string        `json:"email"`
	AmountCents   int64         `json:"amount_cents"`
	Status        InvoiceStatus `json:"status"`
	FailureReason string        `json:"failure_reason,omitempty"`
	IssuedAt      time.Time     `json:"issued_at"`
	UpdatedAt     time.Time     `json:"updated_at"`
}

// getInvoice reads an invoice; errNotFound when there is none.
func getInvoice(ctx context.Context, q querier, id string) (Invoice, error) {
	var inv Invoice
	var issued, updated string
	err := q.QueryRowContext(ctx, `SELECT id, user_id, email, amount_cents, status, failure_reason, issued_at, updated_at
		FROM invoices WHERE id = $1`, id).
		Scan(&inv.ID, &inv.UserID, &inv.Email, &inv.AmountCents, &inv.Status, &inv.FailureReason, &issued, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return Invoice{}, errNotFound
	}
	if err != nil {
		return Invoice{}, fmt.Errorf("read invoice %s: %w", id, err)
	}
	if inv.IssuedAt, err = time.Parse(time.RFC3339Nano, issued); err != nil {
		return Invoice{}, fmt.Errorf("read invoice %s: issued_at: %w", id, err)
	}
	if inv.UpdatedAt, err = time.Parse(time.RFC3339Nano, updated); err != nil {
		return Invoice{}, fmt.Errorf("read invoice %s: updated_at: %w", id, err)
	}
	return inv, nil
}

// insertInvoice stores a new invoice.
func insertInvoice(ctx context.Context, q querier, inv Invoice) error {
	_, err := q.ExecContext(ctx, `INSERT INTO invoices (id, user_id, email, amount_cents, status, issued_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6)`,
		inv.ID, inv.UserID, inv.Email, inv.AmountCents, inv.Status, inv.IssuedAt.UTC().Format(time.RFC3339Nano))
	if err != nil {
		return fmt.Errorf("insert invoice %s: %w", inv.ID, err)
	}
	return nil
}

// settleInvoice records a payment attempt on an invoice that is not paid
// yet; false when it was paid meanwhile.
func settleInvoice(ctx context.Context, q querier, inv Invoice) (bool, error) {
	res, err := q.ExecContext(ctx, `UPDATE invoices SET status = $2, failure_reason = $3, updated_at = $4
		WHERE id = $1 AND status <> 'paid'`,
		inv.ID, inv.Status, inv.FailureReason, inv.UpdatedAt.UTC().Format(time.RFC3339Nano))
	if err != nil {
		return false, fmt.Errorf("update invoice %s: %w", inv.ID, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// unpaidInvoices returns the IDs of a user's invoices that are not paid.
func unpaidInvoices(ctx context.Context, q querier, userID string) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT id FROM invoices WHERE user_id = $1 AND status <> 'paid' ORDER BY issued_at, id`, userID)
	if err != nil {
		return nil, fmt.Errorf("list unpaid invoices of %s: %w", userID, err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("list unpaid invoices of %s: %w", userID, err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
