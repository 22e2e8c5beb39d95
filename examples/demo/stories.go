package main

import (
	"context"
	"fmt"
	"slices"
	"syscall"

	billingapp "github.com/evgenhq/evgen/examples/billing/app"
	"github.com/evgenhq/evgen/examples/demo/cluster"
	usersapp "github.com/evgenhq/evgen/examples/users/app"
	"github.com/evgenhq/evgen/examples/users/usersevents"
	"github.com/evgenhq/evgen/runtime"
)

// tell tells the four stories in order (Ada goes through the first three,
// Grace through the fourth), then the two recovery stories, which need
// the services as processes (the second one over RabbitMQ).
func (d *demo) tell(ctx context.Context) error {
	ada, err := d.catchUp(ctx)
	if err != nil {
		return err
	}
	if err := d.choreography(ctx, ada); err != nil {
		return err
	}
	if err := d.deletion(ctx, ada); err != nil {
		return err
	}
	grace, err := d.lateAndTwice(ctx)
	if err != nil {
		return err
	}
	newcomers, err := d.newReplica(ctx)
	if err != nil {
		return err
	}
	return d.reannounce(ctx, ada, grace, newcomers)
}

// catchUp is story 1: billing is down while a user changes, and catches
// up from its queue when it is back, applying each change once.
func (d *demo) catchUp(ctx context.Context) (string, error) {
	d.story("Story 1: billing was down, and catches up")
	d.step("1.1", "Ada signs up on the pro plan (POST /users).")
	u, err := d.c.Users.Register(ctx, "ada@example.com", "Ada", "pro")
	if err != nil {
		return "", err
	}
	_, err = d.await(ctx, u.ID, "billing made its own copy of Ada from UserRegistered", func(v view) bool {
		return v.Known && v.Customer.Email == "ada@example.com" && v.Customer.Version == 1
	})
	if err != nil {
		return "", err
	}
	if err := d.stopBilling(); err != nil {
		return "", err
	}
	d.step("1.3", "While billing is down, Ada changes her email twice (PATCH /users/{id}).")
	for _, email := range []string{"ada@work.example", "ada@home.example"} {
		if _, err := d.c.Users.Change(ctx, u.ID, map[string]string{"email": email}); err != nil {
			return "", err
		}
	}
	_, err = d.await(ctx, u.ID, "users has the new email at version 3; billing cannot know", func(v view) bool {
		return v.User.Email == "ada@home.example" && v.User.Version == 3
	})
	if err != nil {
		return "", err
	}
	if err := d.startBilling(ctx); err != nil {
		return "", err
	}
	_, err = d.await(ctx, u.ID, "billing caught up from its queue: the last email, version 3", func(v view) bool {
		return v.Customer.Email == "ada@home.example" && v.Customer.Version == 3
	})
	if err != nil {
		return "", err
	}
	return u.ID, d.appliedOnce(ctx, u.ID)
}

// appliedOnce checks that billing applied each of Ada's versions once, in
// order.
func (d *demo) appliedOnce(ctx context.Context, id string) error {
	changes, err := d.c.Billing.Changes(ctx, id)
	if err != nil {
		return err
	}
	var got []string
	for _, ch := range changes {
		got = append(got, fmt.Sprintf("v%d %s", ch.Version, ch.Email))
	}
	want := []string{"v1 ada@example.com", "v2 ada@work.example", "v3 ada@home.example"}
	if slices.Equal(got, want) {
		d.ok("billing applied each change once, in order (GET /customers/{id}/changes): %s", join(got))
		return nil
	}
	return fmt.Errorf("billing's applied changes are %q, want %q", got, want)
}

// stopBilling stops billing: its process with SIGTERM, or its goroutine.
func (d *demo) stopBilling() error {
	if d.mode == cluster.Processes {
		d.step("1.2", "Billing goes down: SIGTERM to its process (pid %d).", d.c.BillingPID())
	} else {
		d.step("1.2", "Billing goes down (its service stops; its database stays).")
	}
	if err := d.c.StopBilling(syscall.SIGTERM); err != nil {
		return err
	}
	d.billingDown = true
	if d.mode == cluster.Processes {
		d.ok("billing's process exited cleanly")
	}
	return nil
}

// startBilling starts billing again on the same database.
func (d *demo) startBilling(ctx context.Context) error {
	if err := d.c.StartBilling(ctx); err != nil {
		return err
	}
	d.billingDown = false
	if d.mode == cluster.Processes {
		d.step("1.4", "Billing starts again as a new process (pid %d) and reads what it missed from its queue.", d.c.BillingPID())
	} else {
		d.step("1.4", "Billing starts again and is handed what it missed.")
	}
	return nil
}

// choreography is story 2: billing's events change users' state, and back.
func (d *demo) choreography(ctx context.Context, ada string) error {
	d.story("Story 2: choreography both ways")
	inv, err := d.c.Billing.IssueInvoice(ctx, ada, 4900)
	if err != nil {
		return err
	}
	d.step("2.1", "Billing issues Ada an invoice of %s (POST /invoices); it is addressed to %s.", dollars(inv.AmountCents), inv.Email)
	if inv.Email != "ada@home.example" {
		return fmt.Errorf("the invoice went to %s, not billing's copy of Ada's email", inv.Email)
	}
	d.ok("the invoice went to the email billing caught up on")
	d.step("2.2", "The payment fails (POST /invoices/{id}/fail): billing publishes PaymentFailed.")
	if _, err := d.c.Billing.Fail(ctx, inv.ID, "the card was declined"); err != nil {
		return err
	}
	_, err = d.await(ctx, ada, "users marked Ada payment_overdue on billing's event", func(v view) bool {
		return v.User.Status == usersapp.StatusPaymentOverdue && v.User.BalanceDueCents == 4900
	})
	if err != nil {
		return err
	}
	d.step("2.3", "A second attempt succeeds (POST /invoices/{id}/pay): billing publishes InvoicePaid.")
	if _, err := d.c.Billing.Pay(ctx, inv.ID); err != nil {
		return err
	}
	_, err = d.await(ctx, ada, "users cleared it: Ada is active and owes nothing", func(v view) bool {
		return v.User.Status == usersapp.StatusActive && v.User.BalanceDueCents == 0
	})
	return err
}

// deletion is story 3: the deletion saga, compensated once, then completed.
func (d *demo) deletion(ctx context.Context, ada string) error {
	d.story("Story 3: deleting a user, a saga with no coordinator")
	inv, err := d.c.Billing.IssueInvoice(ctx, ada, 1900)
	if err != nil {
		return err
	}
	d.step("3.1", "Billing issues Ada another invoice, of %s; it stays unpaid.", dollars(inv.AmountCents))
	if _, err := d.await(ctx, ada, "users added it to what Ada owes", func(v view) bool { return v.User.BalanceDueCents == inv.AmountCents }); err != nil {
		return err
	}
	u, err := d.c.Users.Delete(ctx, ada)
	if err != nil {
		return err
	}
	d.step("3.2", "Ada asks to be deleted (DELETE /users/{id}): users answers 202, marks her %s and publishes UserDeletionRequested.", u.Status)
	d.showUser(u)
	d.say("      billing  (its answer is on its way)")
	if u.Status != usersapp.StatusDeleting {
		return fmt.Errorf("DELETE left Ada %s, not deleting", u.Status)
	}
	d.ok("users answered at once, before billing: the saga goes on through events")
	d.step("3.3", "Billing refuses while an invoice is unpaid (AccountClosureRejected); users compensates (UserReactivated).")
	_, err = d.await(ctx, ada, "Ada is active again, with billing's reason", func(v view) bool {
		return v.User.Status == usersapp.StatusActive && v.User.StatusReason == "1 invoice is unpaid" &&
			v.Customer.Status == billingapp.CustomerActive && v.Customer.Version == v.User.Version
	})
	if err != nil {
		return err
	}
	d.step("3.4", "Ada pays the invoice and asks again.")
	if _, err := d.c.Billing.Pay(ctx, inv.ID); err != nil {
		return err
	}
	if _, err := d.await(ctx, ada, "users saw the payment, and billing's reason no longer holds", func(v view) bool {
		return v.User.BalanceDueCents == 0 && v.User.StatusReason == ""
	}); err != nil {
		return err
	}
	if _, err := d.c.Users.Delete(ctx, ada); err != nil {
		return err
	}
	d.step("3.5", "Billing closes the account (AccountClosed); users completes the deletion (UserDeleted); billing forgets her.")
	_, err = d.await(ctx, ada, "Ada is deleted on both sides, her email erased", func(v view) bool {
		return v.User.Status == usersapp.StatusDeleted && v.User.Email == "" &&
			v.Customer.Status == billingapp.CustomerDeleted && v.Customer.Email == "" && v.Customer.Version == v.User.Version
	})
	return err
}

// lateAndTwice is story 4: an event older than billing's copy changes
// nothing, and a second copy of an event is dropped by the inbox. It
// returns Grace's ID.
func (d *demo) lateAndTwice(ctx context.Context) (string, error) {
	d.story("Story 4: late and twice")
	d.step("4.1", "Grace signs up and changes her email twice.")
	g, err := d.c.Users.Register(ctx, "grace@example.com", "Grace", "free")
	if err != nil {
		return "", err
	}
	for _, email := range []string{"grace@new.example", "grace@newer.example"} {
		if _, err := d.c.Users.Change(ctx, g.ID, map[string]string{"email": email}); err != nil {
			return "", err
		}
	}
	_, err = d.await(ctx, g.ID, "billing holds version 3", func(v view) bool {
		return v.Customer.Email == "grace@newer.example" && v.Customer.Version == 3
	})
	if err != nil {
		return "", err
	}
	applied, err := d.c.Billing.Changes(ctx, g.ID)
	if err != nil {
		return "", err
	}
	pub, err := d.c.PublishAsUsers()
	if err != nil {
		return "", err
	}
	stale := usersevents.UserEmailChanged{UserID: g.ID, Email: "grace@new.example", Version: 2, ChangedAt: g.CreatedAt}
	d.step("4.2", "A stale version 2 change arrives late, under a new event ID (as a replay from a restored backup might send it).")
	if err := d.deliver(ctx, g.ID, "events_stale_total", func() error { return pub.PublishUserEmailChanged(ctx, stale) }); err != nil {
		return "", err
	}
	if err := d.unchanged(ctx, g.ID, len(applied), "billing's runtime dropped it before its handler ran and kept the newer email: users' contract orders a user's events by version (events_stale_total +1)"); err != nil {
		return "", err
	}
	last := applied[len(applied)-1]
	d.step("4.3", "The version 3 event arrives a second time, with the same event ID (%s).", last.EventID)
	again := usersevents.UserEmailChanged{UserID: g.ID, Email: last.Email, Version: last.Version, ChangedAt: last.AppliedAt}
	publish := func() error { return pub.PublishUserEmailChanged(ctx, again, runtime.WithID(last.EventID)) }
	if d.nats {
		if err := d.droppedByJetStream(publish); err != nil {
			return "", err
		}
		return g.ID, d.unchanged(ctx, g.ID, len(applied), "JetStream dropped the copy when it was published (same event ID in Nats-Msg-Id, within its duplicate window): users' stream did not grow; billing's inbox would have dropped it too")
	}
	if err := d.deliver(ctx, g.ID, "events_duplicates_total", publish); err != nil {
		return "", err
	}
	return g.ID, d.unchanged(ctx, g.ID, len(applied), "billing's inbox dropped the copy before its handler ran (events_duplicates_total +1)")
}

// droppedByJetStream publishes with publish and checks that users' stream
// holds no more events than before: JetStream dropped a second publish of
// an event ID it already stored.
func (d *demo) droppedByJetStream(publish func() error) error {
	before, err := d.c.StreamMessages("users")
	if err != nil {
		return err
	}
	if err := publish(); err != nil {
		return err
	}
	after, err := d.c.StreamMessages("users")
	if err != nil {
		return err
	}
	if after != before {
		return fmt.Errorf("users' stream went from %d to %d events: JetStream stored the copy", before, after)
	}
	return nil
}

// deliver publishes with publish and waits until billing's counter of
// UserEmailChanged events goes up by exactly one: billing has seen it.
func (d *demo) deliver(ctx context.Context, id, counter string, publish func() error) error {
	labels := map[string]string{"type": "users.UserEmailChanged"}
	before, err := d.c.Billing.Counter(ctx, "evgen_"+counter, labels)
	if err != nil {
		return err
	}
	if err := publish(); err != nil {
		return err
	}
	after, err := cluster.Await(ctx, awaitTimeout, "billing to count the event in "+counter, func(ctx context.Context) (float64, bool, error) {
		n, err := d.c.Billing.Counter(ctx, "evgen_"+counter, labels)
		return n, n > before, err
	})
	if err != nil {
		return err
	}
	if after != before+1 {
		return fmt.Errorf("billing's %s went from %v to %v, want one more", counter, before, after)
	}
	return nil
}

// unchanged checks that billing's copy of Grace is still at version 3
// with no change applied since it had applied applied.
func (d *demo) unchanged(ctx context.Context, id string, applied int, claim string) error {
	v, err := d.look(ctx, id)
	if err != nil {
		return err
	}
	changes, err := d.c.Billing.Changes(ctx, id)
	if err != nil {
		return err
	}
	if v.Customer.Email != "grace@newer.example" || v.Customer.Version != 3 || len(changes) != applied {
		return fmt.Errorf("billing's copy changed: %s v%d, %d changes applied", v.Customer.Email, v.Customer.Version, len(changes))
	}
	d.show(v)
	d.ok("%s", claim)
	return nil
}

func join(items []string) string {
	s := ""
	for i, it := range items {
		if i > 0 {
			s += ", "
		}
		s += it
	}
	return s
}
