package main

import (
	"context"
	"fmt"
	"time"

	billingapp "github.com/evgenhq/evgen/examples/billing/app"
	"github.com/evgenhq/evgen/examples/demo/cluster"
)

// reannounce is the second recovery story: a billing whose database is
// empty and for which users' event log is no help (it no longer reaches
// back far enough, say) asks users to re-announce the current state of
// every user; users answers to billing's queue alone, and billing's copy
// becomes exact, deleted users included.
func (d *demo) reannounce(ctx context.Context, ada, grace string, newcomers []string) error {
	if !d.brokerStory("Recovery 2: billing asks users to re-announce every user", "a resync needs RabbitMQ queues") {
		return nil
	}
	db, err := d.c.ReplaceBilling(ctx)
	if err != nil {
		return err
	}
	d.step("R2.1", "Billing is replaced again, on an empty database (%s), this time without a sync:", db)
	d.say("    as if users' event log no longer reached back far enough. It knows nobody.")
	if _, err := d.await(ctx, grace, "the new billing has no copy of Grace", func(v view) bool { return !v.Known }); err != nil {
		return err
	}
	d.step("R2.2", `Billing asks users to re-announce (POST /admin/resync {"producer":"users"}).`)
	d.say("    Users answers from its table, to billing's queue only: UserRegistered for each user at its current")
	d.say("    version, and UserDeleted for Ada, whose tombstone is all that is left of her.")
	if err := d.c.Billing.Resync(ctx, "users"); err != nil {
		return err
	}
	_, err = d.await(ctx, ada, "billing knows Ada only as deleted, at users' version", func(v view) bool {
		return v.Known && v.Customer.Status == billingapp.CustomerDeleted && v.Customer.Email == "" && v.Customer.Version == v.User.Version
	})
	if err != nil {
		return err
	}
	d.say("    Billing's copy of Ada has no plan: the tombstone carries only her ID and version, all a deleted user keeps.")
	_, err = d.await(ctx, grace, "billing has Grace's current email and version again", func(v view) bool {
		return v.Customer.Email == v.User.Email && v.Customer.Version == v.User.Version
	})
	if err != nil {
		return err
	}
	changes, err := d.c.Billing.Changes(ctx, grace)
	if err != nil {
		return err
	}
	if len(changes) != 1 || changes[0].EventType != "users.UserRegistered" {
		return fmt.Errorf("billing applied %d changes to Grace, want the one re-announced UserRegistered", len(changes))
	}
	d.ok("in one change: the re-announced UserRegistered at v%d (GET /customers/{id}/changes)", changes[0].Version)
	return d.sameCopies(ctx, newcomers)
}

// brokerStory starts a story that needs RabbitMQ (a resync goes through
// its queues); false, once it said so, when the demo runs without one.
func (d *demo) brokerStory(title, why string) bool {
	if d.nats {
		why = "evgen's resync goes through RabbitMQ queues only (docs/transports.md)"
	}
	return d.processStory(title, why, !d.nats)
}

// logStory starts a story that needs a producer's event log, which
// RabbitMQ (a stream) and NATS JetStream (the producer's stream) both
// keep; false, once it said so, when the services run in process.
func (d *demo) logStory(title, why string) bool {
	return d.processStory(title, why, true)
}

// processStory starts a story that needs the services as processes, and
// also supported when false; false, once it said why not, otherwise.
func (d *demo) processStory(title, why string, supported bool) bool {
	d.story(title)
	if d.mode == cluster.Processes && supported {
		return true
	}
	d.skipped++
	d.say("    (skipped: %s; run the demo with RabbitMQ)", why)
	return false
}

// summary is the demo's last line; took is how long the stories took.
func (d *demo) summary(took time.Duration) string {
	if d.skipped == 0 {
		return fmt.Sprintf("All %d stories did what they claimed, in %.1fs.", d.stories, took.Seconds())
	}
	need := "need"
	if d.skipped == 1 {
		need = "needs"
	}
	return fmt.Sprintf("The %d stories told did what they claimed, in %.1fs; the other %d %s RabbitMQ.", d.stories-d.skipped, took.Seconds(), d.skipped, need)
}
