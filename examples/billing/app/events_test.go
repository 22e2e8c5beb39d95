package app

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/evgenhq/evgen/evgentest"
	"github.com/evgenhq/evgen/examples/billing/billingevents"
	"github.com/evgenhq/evgen/runtime"
)

// spec is billing's service under test: its generated package and its
// handlers, on a new database with billing's tables.
var spec = evgentest.NewSpec(billingevents.Contract, billingevents.RegisterHandlers,
	func(ctx context.Context, db *sql.DB) (billingevents.Handlers, error) {
		return handlers{log: slog.New(slog.NewTextHandler(io.Discard, nil))}, createTables(ctx, db)
	})

const (
	ada   = "0190a6e4-6f1e-7c3a-8d1e-2b7f1c9a0001"
	grace = "0190a6e4-6f1e-7c3a-8d1e-2b7f1c9a0002"
)

var at = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// TestHandlersTakeEachChangeOnce: two users' lives, delivered twice around
// crashes and interleaved in every way users' contract allows (each user's
// events in order, order_by: version), end in one state.
func TestHandlersTakeEachChangeOnce(t *testing.T) {
	events := []runtime.Event{
		billingevents.UserRegistered{UserID: ada, Email: "ada@example.com", Plan: billingevents.PlanFree, Version: 1, RegisteredAt: at},
		billingevents.UserRegistered{UserID: grace, Email: "grace@example.com", Plan: billingevents.PlanPro, Version: 1, RegisteredAt: at},
		billingevents.UserEmailChanged{UserID: ada, Email: "ada@new.example.com", Version: 2, ChangedAt: at},
		billingevents.UserPlanChanged{UserID: grace, Plan: billingevents.PlanEnterprise, PreviousPlan: billingevents.PlanPro, Version: 2, ChangedAt: at},
		billingevents.UserDeletionRequested{UserID: ada, Version: 3, RequestedAt: at},
		billingevents.UserDeleted{UserID: ada, Version: 4, DeletedAt: at},
		// A re-announced registration (a resync) older than what billing holds.
		billingevents.UserRegistered{UserID: grace, Email: "grace@example.com", Plan: billingevents.PlanPro, Version: 1, RegisteredAt: at},
	}
	evgentest.Check(t, spec, events, customersState(t))
}

// customersState reads billing's copy of every user, the changes it
// applied, and the answers it published (by type and user: their IDs and
// times are new in every run).
func customersState(t *testing.T) func(context.Context, *evgentest.Service[billingevents.Handlers]) ([]string, error) {
	return func(ctx context.Context, svc *evgentest.Service[billingevents.Handlers]) ([]string, error) {
		state, err := lines(ctx, svc.DB(), `SELECT 'customer ' || user_id || ' ' || email || ' ' || plan || ' ' || status || ' v' || version FROM customers
			UNION ALL SELECT 'change ' || user_id || ' v' || version || ' ' || event_type || ' ' || event_id || ' ' || status FROM customer_changes
			ORDER BY 1`)
		for _, e := range evgentest.EventsOf[billingevents.AccountClosed](t, svc.Published()) {
			state = append(state, "published AccountClosed "+e.UserID)
		}
		return state, err
	}
}

// lines is the one text column of query's rows.
func lines(ctx context.Context, db *sql.DB, query string, args ...any) ([]string, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return nil, err
		}
		out = append(out, line)
	}
	return out, rows.Err()
}

// TestDeletionRequestIsAnswered: billing refuses to close an account with
// an unpaid invoice, saying why, and closes it once the invoice is paid.
func TestDeletionRequestIsAnswered(t *testing.T) {
	svc := evgentest.Start(t, spec)
	ctx := context.Background()
	svc.Deliver(billingevents.UserRegistered{UserID: ada, Email: "ada@example.com", Plan: billingevents.PlanPro, Version: 1, RegisteredAt: at})
	inv := Invoice{ID: "0190a6e4-6f1e-7c3a-8d1e-2b7f1c9a0101", UserID: ada, Email: "ada@example.com", AmountCents: 1250, Status: InvoiceUnpaid, IssuedAt: at}
	if err := insertInvoice(ctx, svc.DB(), inv); err != nil {
		t.Fatal(err)
	}

	d := svc.Deliver(billingevents.UserDeletionRequested{UserID: ada, Version: 2, RequestedAt: at})
	rejected := evgentest.EventsOf[billingevents.AccountClosureRejected](t, d.Published)
	if !d.Handled || len(rejected) != 1 || rejected[0].Reason != "1 invoice is unpaid" || len(rejected[0].UnpaidInvoices) != 1 || rejected[0].UnpaidInvoices[0] != inv.ID {
		t.Fatalf("deletion request with an unpaid invoice: %s, published %+v; want one AccountClosureRejected naming the invoice", d, rejected)
	}

	inv.Status, inv.UpdatedAt = InvoicePaid, at
	if _, err := settleInvoice(ctx, svc.DB(), inv); err != nil {
		t.Fatal(err)
	}
	d = svc.Deliver(billingevents.UserDeletionRequested{UserID: ada, Version: 4, RequestedAt: at})
	if closed := evgentest.EventsOf[billingevents.AccountClosed](t, d.Published); !d.Handled || len(closed) != 1 || closed[0].UserID != ada {
		t.Fatalf("deletion request once paid: %s, published %+v; want one AccountClosed", d, closed)
	}
	c, err := getCustomer(ctx, svc.DB(), ada)
	if err != nil || c.Status != CustomerClosed || c.Version != 4 {
		t.Fatalf("customer %+v (%v); want closed at version 4", c, err)
	}
}

// TestLateEventsChangeNothing: an event older than billing's copy (a
// late delivery, a re-announced registration) leaves the copy as it is.
func TestLateEventsChangeNothing(t *testing.T) {
	svc := evgentest.Start(t, spec)
	svc.Deliver(billingevents.UserRegistered{UserID: ada, Email: "ada@example.com", Plan: billingevents.PlanFree, Version: 1, RegisteredAt: at})
	svc.Deliver(billingevents.UserEmailChanged{UserID: ada, Email: "ada@third.example.com", Version: 3, ChangedAt: at})
	for _, late := range []runtime.Event{
		billingevents.UserEmailChanged{UserID: ada, Email: "ada@second.example.com", Version: 2, ChangedAt: at},
		billingevents.UserRegistered{UserID: ada, Email: "ada@example.com", Plan: billingevents.PlanFree, Version: 1, RegisteredAt: at},
	} {
		if d := svc.Deliver(late); d.DeadLettered || len(d.Published) != 0 {
			t.Fatalf("late %s: %s, published %d; want it taken and ignored", late.EventType(), d, len(d.Published))
		}
	}
	c, err := getCustomer(context.Background(), svc.DB(), ada)
	if err != nil || c.Email != "ada@third.example.com" || c.Version != 3 {
		t.Fatalf("customer %+v (%v); want ada@third.example.com at version 3", c, err)
	}
}

// TestChangeOfAnUnknownUserIsDeadLettered: a change for a user billing
// never got the registration of is dead-lettered, to be redriven once
// billing caught up, rather than dropped.
func TestChangeOfAnUnknownUserIsDeadLettered(t *testing.T) {
	svc := evgentest.Start(t, spec)
	d := svc.Deliver(billingevents.UserEmailChanged{UserID: grace, Email: "grace@example.com", Version: 2, ChangedAt: at})
	if !d.DeadLettered || !strings.Contains(d.Reason, "billing does not know the user") {
		t.Fatalf("change of an unknown user: %s; want dead-lettered as unknown", d)
	}
	dead := svc.DeadLetters()
	if len(dead) != 1 {
		t.Fatalf("%d dead letters, want 1", len(dead))
	}
	if got := evgentest.EventsOf[billingevents.UserEmailChanged](t, []*message.Message{dead[0].Message}); len(got) != 1 || got[0].UserID != grace {
		t.Fatalf("the dead letter is %+v; want grace's change", got)
	}
}
