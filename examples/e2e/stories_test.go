package e2e

import (
	"context"
	"fmt"
	"syscall"
	"testing"

	billingapp "github.com/evgenhq/evgen/examples/billing/app"
	"github.com/evgenhq/evgen/examples/demo/cluster"
	usersapp "github.com/evgenhq/evgen/examples/users/app"
	"github.com/evgenhq/evgen/examples/users/usersevents"
	"github.com/evgenhq/evgen/runtime"
)

var ctx = context.Background()

// register signs a user up and waits for billing's copy.
func register(t *testing.T, c *cluster.Cluster, email string) usersapp.User {
	t.Helper()
	u, err := c.Users.Register(ctx, email, "Test", "pro")
	if err != nil {
		t.Fatal(err)
	}
	awaitCustomer(t, c, u.ID, "billing's copy of "+email, func(cu billingapp.Customer) bool { return cu.Version == 1 })
	return u
}

// awaitCustomer waits until billing's copy of the user satisfies cond.
func awaitCustomer(t *testing.T, c *cluster.Cluster, id, what string, cond func(billingapp.Customer) bool) billingapp.Customer {
	t.Helper()
	return await(t, what, func(ctx context.Context) (billingapp.Customer, bool, error) {
		cu, err := c.Billing.Customer(ctx, id)
		return cu, err == nil && cond(cu), nil
	})
}

// awaitUser waits until users' record of the user satisfies cond.
func awaitUser(t *testing.T, c *cluster.Cluster, id, what string, cond func(usersapp.User) bool) usersapp.User {
	t.Helper()
	return await(t, what, func(ctx context.Context) (usersapp.User, bool, error) {
		u, err := c.Users.User(ctx, id)
		return u, err == nil && cond(u), err
	})
}

// changeEmail changes a user's email through users' API.
func changeEmail(t *testing.T, c *cluster.Cluster, id, email string) {
	t.Helper()
	if _, err := c.Users.Change(ctx, id, map[string]string{"email": email}); err != nil {
		t.Fatal(err)
	}
}

// appliedVersions returns the versions billing applied to a user, in
// order, and fails t unless each appears once.
func appliedVersions(t *testing.T, c *cluster.Cluster, id string) []billingapp.Change {
	t.Helper()
	changes, err := c.Billing.Changes(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for i, ch := range changes {
		if ch.Version != int64(i+1) {
			t.Fatalf("change %d has version %d: billing's changes are not versions 1..%d each once", i, ch.Version, len(changes))
		}
	}
	return changes
}

// Story 1: billing is down while a user's email changes twice; started
// again, it shows the last email, having applied each change once.
func TestCatchUp(t *testing.T) {
	c := start(t)
	u := register(t, c, "ada@example.com")
	if err := c.StopBilling(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	changeEmail(t, c, u.ID, "ada@work.example")
	changeEmail(t, c, u.ID, "ada@home.example")
	if err := c.StartBilling(ctx); err != nil {
		t.Fatal(err)
	}
	awaitCustomer(t, c, u.ID, "billing to catch up to version 3", func(cu billingapp.Customer) bool { return cu.Version == 3 })
	changes := appliedVersions(t, c, u.ID)
	if len(changes) != 3 || changes[1].Email != "ada@work.example" || changes[2].Email != "ada@home.example" {
		t.Fatalf("billing applied %+v, want registration then the two emails", changes)
	}
}

// Story 2: a failed payment makes the user payment_overdue in users; a
// payment clears it.
func TestChoreography(t *testing.T) {
	c := start(t)
	u := register(t, c, "bob@example.com")
	inv, err := c.Billing.IssueInvoice(ctx, u.ID, 2500)
	if err != nil {
		t.Fatal(err)
	}
	if inv.Email != "bob@example.com" || inv.Status != billingapp.InvoiceUnpaid {
		t.Fatalf("invoice %+v: want unpaid, to bob@example.com", inv)
	}
	if _, err := c.Billing.Fail(ctx, inv.ID, "insufficient funds"); err != nil {
		t.Fatal(err)
	}
	awaitUser(t, c, u.ID, "payment_overdue", func(u usersapp.User) bool {
		return u.Status == usersapp.StatusPaymentOverdue && u.BalanceDueCents == 2500
	})
	if _, err := c.Billing.Pay(ctx, inv.ID); err != nil {
		t.Fatal(err)
	}
	awaitUser(t, c, u.ID, "active again", func(u usersapp.User) bool {
		return u.Status == usersapp.StatusActive && u.BalanceDueCents == 0
	})
}

// Story 3: a deletion billing refuses while an invoice is unpaid is
// compensated (reactivated with the reason); once paid, it completes.
func TestDeletionSaga(t *testing.T) {
	c := start(t)
	u := register(t, c, "carol@example.com")
	inv, err := c.Billing.IssueInvoice(ctx, u.ID, 900)
	if err != nil {
		t.Fatal(err)
	}
	awaitUser(t, c, u.ID, "users to learn of the invoice", func(u usersapp.User) bool { return u.BalanceDueCents == 900 })
	deleting, err := c.Users.Delete(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if deleting.Status != usersapp.StatusDeleting {
		t.Fatalf("DELETE answered status %s, want deleting", deleting.Status)
	}
	awaitUser(t, c, u.ID, "reactivated with billing's reason", func(u usersapp.User) bool {
		return u.Status == usersapp.StatusActive && u.StatusReason == "1 invoice is unpaid" && u.Version == 3
	})
	awaitCustomer(t, c, u.ID, "billing's copy active at version 3", func(cu billingapp.Customer) bool {
		return cu.Status == billingapp.CustomerActive && cu.Version == 3
	})

	if _, err := c.Billing.Pay(ctx, inv.ID); err != nil {
		t.Fatal(err)
	}
	awaitUser(t, c, u.ID, "users to learn of the payment and drop billing's settled reason", func(u usersapp.User) bool {
		return u.BalanceDueCents == 0 && u.StatusReason == "" && u.Version == 3
	})
	if _, err := c.Users.Delete(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	awaitUser(t, c, u.ID, "deleted, email erased", func(u usersapp.User) bool {
		return u.Status == usersapp.StatusDeleted && u.Email == "" && u.Version == 5
	})
	awaitCustomer(t, c, u.ID, "billing's copy deleted", func(cu billingapp.Customer) bool {
		return cu.Status == billingapp.CustomerDeleted && cu.Email == "" && cu.Version == 5
	})
	appliedVersions(t, c, u.ID)
}

// Story 4: an event older than billing's copy changes nothing, and a
// second copy of an event (same ID) is dropped by billing's inbox.
func TestLateAndTwice(t *testing.T) {
	c := start(t)
	u := register(t, c, "dan@example.com")
	changeEmail(t, c, u.ID, "dan@new.example")
	changeEmail(t, c, u.ID, "dan@newer.example")
	awaitCustomer(t, c, u.ID, "version 3", func(cu billingapp.Customer) bool { return cu.Version == 3 })
	pub, err := c.PublishAsUsers()
	if err != nil {
		t.Fatal(err)
	}
	changes := appliedVersions(t, c, u.ID)
	last := changes[2]

	stale := usersevents.UserEmailChanged{UserID: u.ID, Email: "dan@stale.example", Version: 2, ChangedAt: last.AppliedAt}
	counted(t, c, "evgen_events_stale_total", "users.UserEmailChanged", func() error { return pub.PublishUserEmailChanged(ctx, stale) })
	again := usersevents.UserEmailChanged{UserID: u.ID, Email: last.Email, Version: 3, ChangedAt: last.AppliedAt}
	counted(t, c, "evgen_events_duplicates_total", "users.UserEmailChanged", func() error {
		return pub.PublishUserEmailChanged(ctx, again, runtime.WithID(last.EventID))
	})

	cu, err := c.Billing.Customer(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if cu.Email != "dan@newer.example" || cu.Version != 3 {
		t.Errorf("billing's copy is %s v%d, want dan@newer.example v3", cu.Email, cu.Version)
	}
	if n := len(appliedVersions(t, c, u.ID)); n != 3 {
		t.Errorf("billing applied %d changes, want 3", n)
	}
}

// counted publishes and waits until billing's counter of events of
// eventType went up by one, and fails t if it went up by more.
func counted(t *testing.T, c *cluster.Cluster, counter, eventType string, publish func() error) {
	t.Helper()
	labels := map[string]string{"type": eventType}
	before, err := c.Billing.Counter(ctx, counter, labels)
	if err != nil {
		t.Fatal(err)
	}
	if err := publish(); err != nil {
		t.Fatal(err)
	}
	after := await(t, fmt.Sprintf("%s to go up", counter), func(ctx context.Context) (float64, bool, error) {
		n, err := c.Billing.Counter(ctx, counter, labels)
		return n, n > before, err
	})
	if after != before+1 {
		t.Errorf("%s went from %v to %v, want one more", counter, before, after)
	}
}
