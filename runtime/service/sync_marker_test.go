package service_test

import (
	"context"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/store/memory"
)

// A sync's marker goes to the producer's event log alone: a queue bound
// to the producer's exchange with "#" (an audit trail, say) receives the
// events and no marker, while the sync still ends at its marker.
func TestSyncMarkerReachesOnlyTheLog(t *testing.T) {
	const n = 10
	env := newRCEnv(t)
	users, _ := env.service(t, rcUsersContract, memory.New())
	env.run(t, users)
	audit := env.ns + ".audit"
	env.queues[audit] = true
	ch := rcChannel(t, env.url)
	if _, err := ch.QueueDeclare(audit, true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	if err := ch.QueueBind(audit, "#", env.ns+".users", false, nil); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i := range n {
		if err := runtime.Publish(ctx, users, rcRegistered{UserID: rcUserID(i), Email: "x@example.com", Version: 1}); err != nil {
			t.Fatal(err)
		}
	}

	billing, _ := env.service(t, rcConsumerContract("billing"), memory.New())
	if err := runtime.RegisterAll(billing,
		runtime.On(func(context.Context, rcRegistered, runtime.Meta) error { return nil }),
		runtime.On(func(context.Context, rcEmailChanged, runtime.Meta) error { return nil }),
	); err != nil {
		t.Fatal(err)
	}
	p, err := billing.Sync(ctx, "users", runtime.SyncFromStart(), runtime.SyncOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Done || p.Applied != n {
		t.Errorf("progress = %+v, want done with %d applied", p, n)
	}
	// The marker was confirmed before the sync read it, so a copy routed
	// to the audit queue would be there by now.
	for i := 0; ; i++ {
		d, ok, err := ch.Get(audit, true)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			if i != n {
				t.Errorf("audit queue held %d messages, want the %d events", i, n)
			}
			break
		}
		if d.RoutingKey != "users.UserRegistered.v1" || len(d.Body) == 0 {
			t.Errorf("audit queue got %q with body %q; want only events", d.RoutingKey, d.Body)
		}
	}
}

// rcChannel is a raw channel on the broker, closed when the test ends.
func rcChannel(t *testing.T, url string) *amqp.Channel {
	t.Helper()
	conn, err := amqp.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	return ch
}
