package app

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/evgenhq/evgen/evgentest"
	"github.com/evgenhq/evgen/examples/users/usersevents"
	"github.com/evgenhq/evgen/runtime"
)

const (
	ada     = "0190a6e4-6f1e-7c3a-8d1e-2b7f1c9a0001"
	grace   = "0190a6e4-6f1e-7c3a-8d1e-2b7f1c9a0002"
	invoice = "0190a6e4-6f1e-7c3a-8d1e-2b7f1c9a0101"
)

var at = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// spec is users' service under test, on a new database holding two users
// whose deletion waits for billing's answer.
var spec = evgentest.NewSpec(usersevents.Contract, usersevents.RegisterHandlers,
	func(ctx context.Context, db *sql.DB) (usersevents.Handlers, error) {
		if err := createTables(ctx, db); err != nil {
			return nil, err
		}
		for _, id := range []string{ada, grace} {
			u := User{ID: id, Email: id + "@example.com", Name: id, Plan: usersevents.PlanPro, Status: StatusDeleting, Version: 3, CreatedAt: at}
			if err := insertUser(ctx, db, u); err != nil {
				return nil, err
			}
		}
		return handlers{log: slog.New(slog.NewTextHandler(io.Discard, nil))}, nil
	})

// TestHandlersAgreeWhateverTheOrder: billing's events have no order_by,
// so the checker delivers them in any order, as Concurrency > 1 or a
// redriven dead letter would, and twice around crashes.
func TestHandlersAgreeWhateverTheOrder(t *testing.T) {
	events := []runtime.Event{
		usersevents.AccountClosed{UserID: ada, ClosedAt: at},
		usersevents.InvoiceIssued{InvoiceID: invoice, UserID: grace, Email: grace + "@example.com", AmountCents: 1250, IssuedAt: at},
		usersevents.PaymentFailed{InvoiceID: invoice, UserID: grace, AmountCents: 1250, Reason: "card declined", FailedAt: at},
		usersevents.AccountClosureRejected{UserID: grace, Reason: "1 invoice is unpaid", UnpaidInvoices: []string{invoice}, RejectedAt: at},
		usersevents.InvoicePaid{InvoiceID: invoice, UserID: grace, AmountCents: 1250, PaidAt: at},
	}
	evgentest.Check(t, spec, events, usersState(t))
}

// usersState reads every user and invoice, and what the handlers
// published (by type, user and version: IDs and times are new in every
// run).
func usersState(t *testing.T) func(context.Context, *evgentest.Service[usersevents.Handlers]) ([]string, error) {
	return func(ctx context.Context, svc *evgentest.Service[usersevents.Handlers]) ([]string, error) {
		var state []string
		for _, id := range []string{ada, grace} {
			u, err := getUser(ctx, svc.DB(), id)
			if err != nil {
				return nil, err
			}
			state = append(state, fmt.Sprintf("user %s %q %s %s reason=%q due=%d v%d", u.ID, u.Email, u.Plan, u.Status, u.StatusReason, u.BalanceDueCents, u.Version))
		}
		for _, e := range evgentest.EventsOf[usersevents.UserDeleted](t, svc.Published()) {
			state = append(state, fmt.Sprintf("published UserDeleted %s v%d", e.UserID, e.Version))
		}
		for _, e := range evgentest.EventsOf[usersevents.UserReactivated](t, svc.Published()) {
			state = append(state, fmt.Sprintf("published UserReactivated %s v%d %q", e.UserID, e.Version, e.Reason))
		}
		return state, nil
	}
}

// TestAccountClosedCompletesTheDeletion: billing's AccountClosed deletes
// the user, erases the personal data and publishes UserDeleted; a second
// answer about the same user changes nothing and publishes nothing.
func TestAccountClosedCompletesTheDeletion(t *testing.T) {
	svc := evgentest.Start(t, spec)
	d := svc.Deliver(usersevents.AccountClosed{UserID: ada, ClosedAt: at})
	deleted := evgentest.EventsOf[usersevents.UserDeleted](t, d.Published)
	if !d.Handled || len(deleted) != 1 || deleted[0].UserID != ada || deleted[0].Version != 4 {
		t.Fatalf("AccountClosed: %s, published %+v; want one UserDeleted at version 4", d, deleted)
	}
	u, err := getUser(context.Background(), svc.DB(), ada)
	if err != nil || u.Status != StatusDeleted || u.Email != "" || u.Name != "" {
		t.Fatalf("user %+v (%v); want deleted with email and name erased", u, err)
	}
	// Another answer, with an ID of its own (a redriven dead letter from
	// before a resync, say): ada is no longer deleting.
	again := svc.Deliver(usersevents.AccountClosureRejected{UserID: ada, Reason: "1 invoice is unpaid", UnpaidInvoices: []string{invoice}, RejectedAt: at})
	if !again.Handled || len(again.Published) != 0 {
		t.Fatalf("a late answer: %s, published %d; want it taken and ignored", again, len(again.Published))
	}
	if u, _ := getUser(context.Background(), svc.DB(), ada); u.Status != StatusDeleted || u.Version != 4 {
		t.Fatalf("after the late answer, user %+v; want deleted at version 4", u)
	}
}

// TestReasonClearedOncePaid: a refusal keeps billing's reason while the
// invoice is unpaid, and the payment clears it.
func TestReasonClearedOncePaid(t *testing.T) {
	svc := evgentest.Start(t, spec)
	svc.Deliver(usersevents.InvoiceIssued{InvoiceID: invoice, UserID: grace, Email: grace + "@example.com", AmountCents: 1250, IssuedAt: at})
	svc.Deliver(usersevents.AccountClosureRejected{UserID: grace, Reason: "1 invoice is unpaid", UnpaidInvoices: []string{invoice}, RejectedAt: at})
	ctx := context.Background()
	if u, err := getUser(ctx, svc.DB(), grace); err != nil || u.Status != StatusActive || u.StatusReason != "1 invoice is unpaid" || u.BalanceDueCents != 1250 {
		t.Fatalf("after the refusal, user %+v (%v); want active, 1250 due, with billing's reason", u, err)
	}
	svc.Deliver(usersevents.InvoicePaid{InvoiceID: invoice, UserID: grace, AmountCents: 1250, PaidAt: at})
	if u, err := getUser(ctx, svc.DB(), grace); err != nil || u.StatusReason != "" || u.BalanceDueCents != 0 {
		t.Fatalf("after the payment, user %+v (%v); want nothing due and no reason", u, err)
	}
}
