package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	billingapp "github.com/evgenhq/evgen/examples/billing/app"
	"github.com/evgenhq/evgen/examples/demo/cluster"
	usersapp "github.com/evgenhq/evgen/examples/users/app"
)

// awaitTimeout bounds the wait for an event to take effect; on this
// machine it takes milliseconds.
const awaitTimeout = 15 * time.Second

// demo tells the stories against a running cluster.
type demo struct {
	c           *cluster.Cluster
	out         io.Writer
	mode        cluster.Mode
	nats        bool // processes over NATS JetStream, not RabbitMQ
	billingDown bool
	// stories counts the stories begun, skipped those that need RabbitMQ
	// and were not told.
	stories, skipped int
}

// introduce says how the services run.
func (d *demo) introduce(opts cluster.Options) {
	if d.mode == cluster.Processes {
		d.say("  users   pid %-7d %s  SQLite %s", d.c.UsersPID(), d.c.Users.URL(), opts.UsersDB)
		d.say("  billing pid %-7d %s  SQLite %s", d.c.BillingPID(), d.c.Billing.URL(), opts.BillingDB)
		if d.nats {
			d.say("  NATS JetStream at %s, namespace %s (its streams deleted at the end)", opts.Transport, opts.Namespace)
		} else {
			d.say("  RabbitMQ namespace %s (deleted at the end)", opts.Namespace)
		}
		return
	}
	d.say("  users   %s  SQLite %s", d.c.Users.URL(), opts.UsersDB)
	d.say("  billing %s  SQLite %s", d.c.Billing.URL(), opts.BillingDB)
}

// say prints one line.
func (d *demo) say(format string, args ...any) {
	fmt.Fprintf(d.out, format+"\n", args...)
}

// story prints a story's title.
func (d *demo) story(title string) {
	d.stories++
	d.say("\n── %s ──", title)
}

// step prints what happens next.
func (d *demo) step(n string, format string, args ...any) {
	d.say("%s %s", n, fmt.Sprintf(format, args...))
}

// ok prints a check that held.
func (d *demo) ok(format string, args ...any) {
	d.say("    ✓ %s", fmt.Sprintf(format, args...))
}

// view is what both services say about one user.
type view struct {
	User     usersapp.User
	Customer billingapp.Customer
	// Known is false while billing has no copy of the user.
	Known bool
}

// look reads both services' state of user id; billing's only while it
// runs.
func (d *demo) look(ctx context.Context, id string) (view, error) {
	var v view
	var err error
	if v.User, err = d.c.Users.User(ctx, id); err != nil {
		return v, err
	}
	if d.billingDown {
		return v, nil
	}
	v.Customer, err = d.c.Billing.Customer(ctx, id)
	var apiErr *cluster.APIError
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound {
		return v, nil
	}
	v.Known = err == nil
	return v, err
}

// await waits until both services' state of user id satisfies cond, then
// prints that state and the check as passed.
func (d *demo) await(ctx context.Context, id, claim string, cond func(view) bool) (view, error) {
	v, err := cluster.Await(ctx, awaitTimeout, claim, func(ctx context.Context) (view, bool, error) {
		v, err := d.look(ctx, id)
		return v, err == nil && cond(v), err
	})
	if err != nil {
		return v, err
	}
	d.show(v)
	d.ok("%s", claim)
	return v, nil
}

// show prints both services' state of one user.
func (d *demo) show(v view) {
	d.showUser(v.User)
	switch {
	case d.billingDown:
		d.say("      billing  (down)")
	case !v.Known:
		d.say("      billing  (no copy of this user)")
	default:
		c := v.Customer
		d.say("      billing  %-20s %-10s %-16s v%d", orErased(c.Email), orUnknown(string(c.Plan)), c.Status, c.Version)
	}
}

// showUser prints users' state of one user.
func (d *demo) showUser(u usersapp.User) {
	line := fmt.Sprintf("%-20s %-10s %-16s v%d", orErased(u.Email), u.Plan, u.Status, u.Version)
	if u.BalanceDueCents > 0 {
		line += "  owes " + dollars(u.BalanceDueCents)
	}
	if u.StatusReason != "" {
		line += fmt.Sprintf("  reason: %q", u.StatusReason)
	}
	d.say("      users    %s", line)
}

func orErased(email string) string {
	if email == "" {
		return "(erased)"
	}
	return email
}

// orUnknown shows a plan billing does not know: its copy of a user it
// learnt of only from the UserDeleted tombstone, which carries no plan.
func orUnknown(plan string) string {
	if plan == "" {
		return "(unknown)"
	}
	return plan
}

func dollars(cents int64) string {
	return fmt.Sprintf("$%d.%02d", cents/100, cents%100)
}
