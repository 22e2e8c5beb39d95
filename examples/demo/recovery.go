package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/evgenhq/evgen/examples/demo/cluster"
	usersapp "github.com/evgenhq/evgen/examples/users/app"
)

// newcomers is how many users sign up before the new billing exists: enough
// for its sync's progress to be worth showing.
const newcomers = 150

// newReplica is the first recovery story: a brand-new billing with an empty
// database catches up on everything that happened before it existed, from
// users' event log (a RabbitMQ stream, or users' JetStream stream), while
// its progress is shown.
func (d *demo) newReplica(ctx context.Context) ([]string, error) {
	if !d.logStory("Recovery 1: a brand-new billing catches up from users' event log", "the in-process bus keeps no event log") {
		return nil, nil
	}
	d.step("R1.1", "%d people sign up and a third of them change their email; billing applies it all.", newcomers)
	users, err := d.signUps(ctx)
	if err != nil {
		return nil, err
	}
	db, err := d.c.ReplaceBilling(ctx, "-sync-from", "start")
	if err != nil {
		return nil, err
	}
	d.step("R1.2", "Billing is replaced by a brand-new process (pid %d) on an empty database (%s),", d.c.BillingPID(), db)
	d.say("    started with -sync-from start: it reads users' event log through its own handlers and inbox.")
	if err := d.watchSync(ctx); err != nil {
		return nil, err
	}
	return users, d.sameCopies(ctx, users)
}

// signUps registers the newcomers, changes some emails, and waits until
// billing holds the last one.
func (d *demo) signUps(ctx context.Context) ([]string, error) {
	var ids []string
	for i := range newcomers {
		u, err := d.c.Users.Register(ctx, fmt.Sprintf("newcomer%d@example.com", i), fmt.Sprintf("Newcomer %d", i), "free")
		if err != nil {
			return nil, err
		}
		ids = append(ids, u.ID)
	}
	var last usersapp.User
	for i := 0; i < newcomers; i += 3 {
		u, err := d.c.Users.Change(ctx, ids[i], map[string]string{"email": fmt.Sprintf("newcomer%d@work.example", i)})
		if err != nil {
			return nil, err
		}
		last = u
	}
	_, err := d.await(ctx, last.ID, "the old billing has the last change", func(v view) bool {
		return v.Customer.Version == last.Version
	})
	return ids, err
}

// watchSync draws the new billing's sync progress from its metrics until
// the sync reached the end of users' log as of its start.
func (d *demo) watchSync(ctx context.Context) error {
	const width = 30
	bar := func(read, tail float64) (string, int) {
		filled := min(width, int(width*read/max(tail+1, 1)))
		return fmt.Sprintf("[%s%s] %.0f of about %.0f events", strings.Repeat("#", filled), strings.Repeat("-", width-filled), read, tail+1), filled
	}
	metric := func(name string) float64 {
		v, _ := d.c.Billing.Counter(ctx, name, map[string]string{"producer": "users"})
		return v
	}
	shown := -1 // a line each time the bar grows by a fifth, and at the end
	_, err := cluster.Await(ctx, 60*time.Second, "the sync to finish", func(ctx context.Context) (bool, bool, error) {
		read, tail, running := metric("evgen_sync_events_total"), metric("evgen_sync_tail_offset"), metric("evgen_sync_running")
		done := tail > 0 && read > 0 && running == 0
		if line, filled := bar(read, tail); tail > 0 && (filled/(width/5) > shown || done) {
			d.say("      sync %s", line)
			shown = filled / (width / 5)
		}
		return true, done, nil
	})
	if err != nil {
		return err
	}
	d.ok("the sync reached the end of users' log as of its start, and stopped by itself")
	return nil
}

// sameCopies checks that the new billing's copy of every newcomer is users'
// current state.
func (d *demo) sameCopies(ctx context.Context, ids []string) error {
	for _, id := range ids {
		v, err := d.look(ctx, id)
		if err != nil {
			return err
		}
		if !v.Known || v.Customer.Email != v.User.Email || v.Customer.Version != v.User.Version {
			d.show(v)
			return fmt.Errorf("the new billing's copy of %s is not users' current state", id)
		}
	}
	d.ok("the new billing's copy of all %d newcomers matches users: email and version", len(ids))
	return nil
}
