package service_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store/memory"
)

// Service.Publish marks Permanent exactly the errors no retry can cure,
// which the outbox relay sets aside; the rest the relay retries.
func TestPublishErrorsPermanentOrTransient(t *testing.T) {
	b := newBroker(t)
	logless, _ := b.Service(t, usersContract, memory.New(), func(c *service.Config) { c.EventLog.Disabled = true })
	start(t, logless)
	select {
	case <-logless.Ready():
	case <-time.After(20 * time.Second):
		t.Fatal("service not ready")
	}
	down, _ := newService(t, service.Config{Contract: usersContract, Transport: service.AMQP("amqp://127.0.0.1:1/"), Store: memory.New()})
	// Never Run: its event log is not declared, so nothing is bound yet.
	undeclared, _ := b.Service(t, usersContract, memory.New())

	short := func() context.Context {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		t.Cleanup(cancel)
		return ctx
	}
	badTime := encode(t, userRegistered{UserID: "u"})
	badTime.Metadata.Set(runtime.HeaderTime, "yesterday")
	for _, tc := range []struct {
		name      string
		err       error
		permanent bool
	}{
		{"not in contract", runtime.Publish(short(), logless, invoicePaid{InvoiceID: "i"}), true},
		{"marshal failure", logless.Publish(short(), badTime), true},
		{"unroutable, log disabled", runtime.Publish(short(), logless, userRegistered{UserID: "u"}), true},
		{"broker down", runtime.Publish(short(), down, userRegistered{UserID: "u"}), false},
		{"unroutable, log enabled but not declared yet", runtime.Publish(short(), undeclared, userRegistered{UserID: "u"}), false},
	} {
		if tc.err == nil || runtime.IsPermanent(tc.err) != tc.permanent {
			t.Errorf("%s: Publish = %v, permanent %v; want an error, permanent %v", tc.name, tc.err, runtime.IsPermanent(tc.err), tc.permanent)
		}
	}
	if err := runtime.Publish(short(), logless, userRegistered{UserID: "u"}); !errors.Is(err, service.ErrUnroutable) {
		t.Errorf("unroutable publish = %v, want it to wrap ErrUnroutable still", err)
	}
}
