package versions_test

import (
	"context"
	"slices"
	"testing"

	"github.com/evgenhq/evgen/internal/golden/versions/billingevents"
	"github.com/evgenhq/evgen/internal/golden/versions/mailerevents"
	"github.com/evgenhq/evgen/internal/golden/versions/usersevents"
)

// A consumer moved from v1 to v2 (docs/evolution.md, "Move the
// consumers"): billing first runs on v1, then restarts on v2 with the same
// queue. After the move each change must arrive once, at v2: a queue
// still bound to v1 would receive the v1 copy too and dead-letter it.
func TestMoveConsumerToNewVersion(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  func(t *testing.T) *env
	}{
		{"in-process", func(*testing.T) *env { return newInProcessEnv() }},
		{"RabbitMQ", newEnv},
	} {
		t.Run(tc.name, func(t *testing.T) { moveConsumer(t, tc.env(t)) })
	}
}

func moveConsumer(t *testing.T, e *env) {
	ctx := context.Background()
	users := e.service(t, usersevents.Contract)
	run(t, users)
	pub := usersevents.NewPublisher(users, renamer{})
	changed := func(email string) {
		t.Helper()
		if err := pub.PublishUserEmailChanged(ctx, usersevents.UserEmailChanged{UserID: user, Email: email, Verified: true, Version: 3}); err != nil {
			t.Fatal(err)
		}
	}

	v1 := &v1Handlers{}
	billing := e.service(t, billingevents.Contract)
	if err := billingevents.RegisterHandlers(billing, v1); err != nil {
		t.Fatal(err)
	}
	stopV1 := run(t, billing)
	changed("before@example.com")
	waitFor(t, "billing on v1", &v1.applied, []string{"v1 email before@example.com"}, "v1 email before@example.com")
	stopV1()

	moved := renamed(mailerevents.Contract, "billing") // billing's contract, now consuming v2
	v2 := &v2Handlers{}
	billing = e.service(t, moved)
	if err := mailerevents.RegisterHandlers(billing, v2); err != nil {
		t.Fatal(err)
	}
	run(t, billing)
	changed("after@example.com")
	waitFor(t, "billing on v2", &v2.applied, []string{"v2 email after@example.com verified=true"}, "v2 email after@example.com verified=true")
	if n := e.deadLetters(t, "billing"); n != 0 {
		t.Errorf("after the change was applied at v2, billing's dead-letter queue holds %d events, want none", n)
	}
	// The marker comes after both copies of the change in billing's
	// queue, which billing handles in order: once the marker is applied, a
	// v1 copy of the change would have been dead-lettered.
	if err := pub.PublishUserRenamed(ctx, usersevents.UserRenamed{UserID: user, DisplayName: "Marker"}); err != nil {
		t.Fatal(err)
	}
	want := []string{"v2 email after@example.com verified=true", "v2 name Marker"}
	waitFor(t, "billing on v2", &v2.applied, want, "v2 name Marker")
	if n := e.deadLetters(t, "billing"); n != 0 {
		t.Errorf("after the marker was applied at v2, billing's dead-letter queue holds %d events, want none", n)
	}
	if got := v1.sorted(); !slices.Equal(got, []string{"v1 email before@example.com"}) {
		t.Errorf("billing on v1 applied %q after it stopped", got)
	}
}
