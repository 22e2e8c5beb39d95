package service_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store/memory"
)

// crmEvent stands in for a generated event of the crm service.
type crmEvent struct {
	name string
	ID   string `json:"id"`
}

func (e crmEvent) EventType() string { return "crm." + e.name }
func (crmEvent) EventVersion() int   { return 1 }
func (crmEvent) Validate() error     { return nil }

// syncBuffer is a log destination safe for the worker and the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestUndeclaredEmitsAreCountedAndLoggedOnce runs a crm service whose
// contract declares that its UserRegistered handler emits ContactCreated,
// and declares nothing for InvoicePaid. Each handler publishes
// ContactCreated and ContactMerged: only ContactMerged from the
// UserRegistered handler is undeclared; the InvoicePaid handler is not
// checked.
func TestUndeclaredEmitsAreCountedAndLoggedOnce(t *testing.T) {
	bus := service.NewInProcessBus()
	var logs syncBuffer
	reacting := usersInfo
	reacting.Emits, reacting.EmitsDeclared = []string{"crm.ContactCreated"}, true
	contract := runtime.Contract{
		Service:   "crm",
		Publishes: []runtime.EventInfo{{Producer: "crm", Name: "ContactCreated", Type: "crm.ContactCreated", Version: 1}, {Producer: "crm", Name: "ContactMerged", Type: "crm.ContactMerged", Version: 1}},
		Consumes:  []runtime.EventInfo{reacting, invoiceInfo},
	}
	crm, reg := newService(t, service.Config{
		Contract: contract, Transport: service.InProcess(bus), Store: memory.New(),
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	})
	handled := make(chan string, 10)
	react := func(ctx context.Context, typ string) error {
		pub := service.TxPublisher(ctx)
		for _, name := range []string{"ContactCreated", "ContactMerged"} {
			if err := runtime.Publish(ctx, pub, crmEvent{name: name, ID: "c1"}); err != nil {
				return err
			}
		}
		handled <- typ
		return nil
	}
	err := runtime.RegisterAll(crm,
		runtime.On(func(ctx context.Context, e userRegistered, _ runtime.Meta) error { return react(ctx, e.EventType()) }),
		runtime.On(func(ctx context.Context, e invoicePaid, _ runtime.Meta) error { return react(ctx, e.EventType()) }),
	)
	if err != nil {
		t.Fatal(err)
	}
	startReady(t, crm)
	users, _ := newService(t, service.Config{Contract: usersContract, Transport: service.InProcess(bus), Store: memory.New()})
	billing, _ := newService(t, service.Config{Contract: billingContract, Transport: service.InProcess(bus), Store: memory.New()})

	undeclared := func(handler, emitted string) float64 {
		t.Helper()
		return undeclaredEmits(t, reg, "crm", handler, emitted)
	}
	publishAndWait := func(p runtime.Publisher, e runtime.Event) {
		t.Helper()
		if err := runtime.Publish(context.Background(), p, e); err != nil {
			t.Fatal(err)
		}
		select {
		case <-handled:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s not handled within 10s", e.EventType())
		}
	}

	publishAndWait(users, userRegistered{UserID: "u1"})
	if got := undeclared("users.UserRegistered", "crm.ContactMerged"); got != 1 {
		t.Errorf("undeclared ContactMerged after one UserRegistered = %v, want 1", got)
	}
	if got := undeclared("users.UserRegistered", "crm.ContactCreated"); got != 0 {
		t.Errorf("declared ContactCreated counted as undeclared: %v", got)
	}
	publishAndWait(users, userRegistered{UserID: "u2"})
	publishAndWait(billing, invoicePaid{InvoiceID: "i1"})
	if got := undeclared("users.UserRegistered", "crm.ContactMerged"); got != 2 {
		t.Errorf("undeclared ContactMerged after two UserRegistered = %v, want 2", got)
	}
	for _, emitted := range []string{"crm.ContactCreated", "crm.ContactMerged"} {
		if got := undeclared("billing.InvoicePaid", emitted); got != 0 {
			t.Errorf("InvoicePaid declares no emits, yet %s counted: %v", emitted, got)
		}
	}
	if n := strings.Count(logs.String(), "level=WARN msg=\"handler published an event its contract does not declare"); n != 1 {
		t.Errorf("logged %d warnings, want 1 for the one (handler, emitted) pair:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "handler=users.UserRegistered emitted=crm.ContactMerged") {
		t.Errorf("warning does not name the pair:\n%s", logs.String())
	}
}

// undeclaredEmits is the value of evgen_undeclared_emits_total for the
// labels in reg, 0 when no such series exists.
func undeclaredEmits(t *testing.T, reg *prometheus.Registry, service, handler, emitted string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"service": service, "handler": handler, "emitted": emitted}
	for _, f := range families {
		if f.GetName() != "evgen_undeclared_emits_total" {
			continue
		}
	series:
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if want[l.GetName()] != l.GetValue() {
					continue series
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}
