package cluster

import (
	"context"
	"net/http"

	billingapp "github.com/evgenhq/evgen/examples/billing/app"
	usersapp "github.com/evgenhq/evgen/examples/users/app"
)

// UsersAPI is the users service's API.
type UsersAPI struct{ *Client }

// Register creates a user.
func (a UsersAPI) Register(ctx context.Context, email, name, plan string) (usersapp.User, error) {
	var u usersapp.User
	err := a.Do(ctx, http.MethodPost, "/users", map[string]string{"email": email, "name": name, "plan": plan}, &u)
	return u, err
}

// User reads a user.
func (a UsersAPI) User(ctx context.Context, id string) (usersapp.User, error) {
	var u usersapp.User
	err := a.Do(ctx, http.MethodGet, "/users/"+id, nil, &u)
	return u, err
}

// Change applies fields (email, name, plan) to a user.
func (a UsersAPI) Change(ctx context.Context, id string, fields map[string]string) (usersapp.User, error) {
	var u usersapp.User
	err := a.Do(ctx, http.MethodPatch, "/users/"+id, fields, &u)
	return u, err
}

// Delete starts a user's deletion.
func (a UsersAPI) Delete(ctx context.Context, id string) (usersapp.User, error) {
	var u usersapp.User
	err := a.Do(ctx, http.MethodDelete, "/users/"+id, nil, &u)
	return u, err
}

// BillingAPI is the billing service's API.
type BillingAPI struct{ *Client }

// Customer reads billing's copy of a user.
func (a BillingAPI) Customer(ctx context.Context, userID string) (billingapp.Customer, error) {
	var c billingapp.Customer
	err := a.Do(ctx, http.MethodGet, "/customers/"+userID, nil, &c)
	return c, err
}

// Changes lists the users events billing applied to its copy of a user.
func (a BillingAPI) Changes(ctx context.Context, userID string) ([]billingapp.Change, error) {
	var cs []billingapp.Change
	err := a.Do(ctx, http.MethodGet, "/customers/"+userID+"/changes", nil, &cs)
	return cs, err
}

// IssueInvoice bills a user.
func (a BillingAPI) IssueInvoice(ctx context.Context, userID string, amountCents int64) (billingapp.Invoice, error) {
	var inv billingapp.Invoice
	err := a.Do(ctx, http.MethodPost, "/invoices", map[string]any{"user_id": userID, "amount_cents": amountCents}, &inv)
	return inv, err
}

// Invoice reads an invoice.
func (a BillingAPI) Invoice(ctx context.Context, id string) (billingapp.Invoice, error) {
	var inv billingapp.Invoice
	err := a.Do(ctx, http.MethodGet, "/invoices/"+id, nil, &inv)
	return inv, err
}

// Pay records a successful payment of an invoice.
func (a BillingAPI) Pay(ctx context.Context, id string) (billingapp.Invoice, error) {
	var inv billingapp.Invoice
	err := a.Do(ctx, http.MethodPost, "/invoices/"+id+"/pay", nil, &inv)
	return inv, err
}

// Fail records a failed payment of an invoice.
func (a BillingAPI) Fail(ctx context.Context, id, reason string) (billingapp.Invoice, error) {
	var inv billingapp.Invoice
	err := a.Do(ctx, http.MethodPost, "/invoices/"+id+"/fail", map[string]string{"reason": reason}, &inv)
	return inv, err
}

// Resync asks producer (users) to re-announce the current state of its
// entities to billing alone: the users with the given IDs, or every user
// when there are none (POST /admin/resync). It returns once the request is
// with the broker; the answers follow through billing's queue.
func (a BillingAPI) Resync(ctx context.Context, producer string, keys ...string) error {
	return a.Do(ctx, http.MethodPost, "/admin/resync", map[string]any{"producer": producer, "keys": keys}, nil)
}
