package service_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/recovery"
	"github.com/evgenhq/evgen/runtime/store/memory"
)

// The fourth case: a poison event is dead-lettered; once the
// handler is fixed, a redrive applies it once, and redriving it again
// (even a copy that reached the dead-letter queue twice) does nothing.
func TestRedriveAppliesOnce(t *testing.T) {
	env := newRCEnv(t)
	users, _ := env.service(t, rcUsersContract, memory.New())
	env.run(t, users)
	billing := newCustomers(t)
	svc, reg := env.service(t, rcConsumerContract("billing"), billing.store)
	billing.register(t, svc)
	var broken atomic.Bool
	broken.Store(true)
	billing.setBeforeApply(func(userID string, _ runtime.Meta) error {
		if broken.Load() && userID == rcUserID(1) {
			return errors.New("bug 42: cannot handle this user")
		}
		return nil
	})
	env.run(t, svc)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := range 3 {
		if err := runtime.Publish(ctx, users, rcRegistered{UserID: rcUserID(i), Email: "x@example.com", Version: 1}); err != nil {
			t.Fatal(err)
		}
	}
	dl, err := recovery.OpenDeadLetters(env.url, env.ns, "billing")
	if err != nil {
		t.Fatal(err)
	}
	defer dl.Close()
	var letters []recovery.DeadLetter
	testenv.Eventually(t, 10*time.Second, "the poison event in the dead-letter queue", func() bool {
		letters, err = dl.List(ctx, recovery.DeadLetterFilter{})
		return err == nil && len(letters) == 1
	})
	l := letters[0]
	if l.Type != "users.UserRegistered" || l.Subject != rcUserID(1) || l.Attempts != 2 ||
		l.RoutingKey != "users.UserRegistered.v1" || l.Exchange != env.ns+".users" || l.At.IsZero() {
		t.Errorf("dead letter = %+v", l)
	}
	// The event behind the poison one is handled after it was dead-lettered.
	testenv.Eventually(t, 10*time.Second, "the 2 good events applied", func() bool { n, _ := billing.applied(t); return n == 2 })
	for _, f := range []recovery.DeadLetterFilter{{Type: "UserEmailChanged"}, {Reason: "bug 43"}, {Since: time.Now().Add(time.Minute)}} {
		if n, err := dl.Redrive(ctx, f); err != nil || n != 0 {
			t.Errorf("Redrive(%+v) = %d, %v; want nothing selected", f, n, err)
		}
	}

	broken.Store(false) // the bug is fixed
	if n, err := dl.Redrive(ctx, recovery.DeadLetterFilter{Type: "UserRegistered", Reason: "bug 42"}); err != nil || n != 1 {
		t.Fatalf("Redrive = %d, %v; want 1", n, err)
	}
	testenv.Eventually(t, 10*time.Second, "the redriven event", func() bool { n, _ := billing.applied(t); return n == 3 })
	if left, _ := dl.List(ctx, recovery.DeadLetterFilter{}); len(left) != 0 {
		t.Errorf("%d dead letters left after the redrive", len(left))
	}
	if n, err := dl.Redrive(ctx, recovery.DeadLetterFilter{}); err != nil || n != 0 {
		t.Errorf("second Redrive = %d, %v; want nothing to redrive", n, err)
	}

	// A copy that reached the dead-letter queue twice (a crash between the
	// confirm and the removal) is redriven and dropped by the inbox.
	rcPublishRaw(t, env.url, env.ns+".billing.dlq", amqp.Publishing{MessageId: l.ID, Headers: rcTable(l.Headers), Body: l.Body, ContentType: "application/json"})
	if n, err := dl.Redrive(ctx, recovery.DeadLetterFilter{IDs: []string{l.ID}}); err != nil || n != 1 {
		t.Fatalf("Redrive of the copy = %d, %v", n, err)
	}
	testenv.Eventually(t, 10*time.Second, "the copy skipped as a duplicate", func() bool { return metric(t, reg, "evgen_events_duplicates_total") == 1 })
	if n, twice := billing.applied(t); n != 3 || twice != 0 {
		t.Errorf("%d events applied, %d twice; want 3, none twice", n, twice)
	}

	// Drop removes what it selects.
	broken.Store(true)
	if err := runtime.Publish(ctx, users, rcRegistered{UserID: rcUserID(1), Email: "y@example.com", Version: 2}); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 10*time.Second, "a new dead letter", func() bool { ls, _ := dl.List(ctx, recovery.DeadLetterFilter{}); return len(ls) == 1 })
	if n, err := dl.Drop(ctx, recovery.DeadLetterFilter{Reason: "bug 42"}); err != nil || n != 1 {
		t.Errorf("Drop = %d, %v; want 1", n, err)
	}
	if env.messages(t, env.ns+".billing.dlq") != 0 {
		t.Error("dead-letter queue not empty after Drop")
	}
}

func rcTable(h map[string]string) amqp.Table {
	t := amqp.Table{}
	for k, v := range h {
		t[k] = v
	}
	return t
}

// rcPublishRaw puts p straight into queue, with a confirm.
func rcPublishRaw(t *testing.T, url, queue string, p amqp.Publishing) {
	t.Helper()
	conn, err := amqp.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Confirm(false); err != nil {
		t.Fatal(err)
	}
	dc, err := ch.PublishWithDeferredConfirm("", queue, true, false, p)
	if err != nil {
		t.Fatal(err)
	}
	if !dc.Wait() {
		t.Fatal("raw publish not confirmed")
	}
}
