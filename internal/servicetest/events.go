package servicetest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
)

// InvoicePaid is a second stand-in event (billing.InvoicePaid v2), from
// another producer than testenv.UserRegistered, with no key.
type InvoicePaid struct {
	InvoiceID string `json:"invoice_id"`
}

// EventType is the event's type.
func (InvoicePaid) EventType() string { return "billing.InvoicePaid" }

// EventVersion is the event's version.
func (InvoicePaid) EventVersion() int { return 2 }

// Validate accepts every InvoicePaid.
func (InvoicePaid) Validate() error { return nil }

// The stand-in events' descriptors and three contracts over them: users
// publishes UserRegistered, billing consumes it and publishes InvoicePaid,
// shipping consumes both.
var (
	UsersInfo   = runtime.EventInfo{Producer: "users", Name: "UserRegistered", Type: "users.UserRegistered", Version: 1, Key: "user_id"}
	InvoiceInfo = runtime.EventInfo{Producer: "billing", Name: "InvoicePaid", Type: "billing.InvoicePaid", Version: 2}

	UsersContract    = runtime.Contract{Service: "users", Publishes: []runtime.EventInfo{UsersInfo}}
	BillingContract  = runtime.Contract{Service: "billing", Publishes: []runtime.EventInfo{InvoiceInfo}, Consumes: []runtime.EventInfo{UsersInfo}}
	ShippingContract = runtime.Contract{Service: "shipping", Consumes: []runtime.EventInfo{UsersInfo, InvoiceInfo}}
)

// Capture is a Publisher that keeps what it is given.
type Capture struct{ Msgs []*message.Message }

// Publish keeps msgs.
func (c *Capture) Publish(_ context.Context, msgs ...*message.Message) error {
	c.Msgs = append(c.Msgs, msgs...)
	return nil
}

// Encode builds the message Publish would send for e.
func Encode(t testing.TB, e runtime.Event, opts ...runtime.PublishOption) *message.Message {
	t.Helper()
	msg, err := EncodeEvent(e, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

// EncodeEvent is Encode for goroutines other than the test's, which must
// not call t.Fatal: they report the error instead.
func EncodeEvent(e runtime.Event, opts ...runtime.PublishOption) (*message.Message, error) {
	var c Capture
	if err := runtime.Publish(context.Background(), &c, e, opts...); err != nil {
		return nil, fmt.Errorf("encode %s: %w", e.EventType(), err)
	}
	return c.Msgs[0], nil
}

// Metric sums the samples of the named metric in reg: counters' and
// gauges' values, histograms' sample counts (a family is of one kind, so
// the other getters add 0).
func Metric(t testing.TB, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue() + float64(m.GetHistogram().GetSampleCount())
		}
	}
	return sum
}

// PublishMany publishes n events user-0..user-(n-1) from workers goroutines.
func PublishMany(t testing.TB, p runtime.Publisher, n, workers int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				if err := runtime.Publish(context.Background(), p, testenv.UserRegistered{UserID: fmt.Sprintf("user-%d", i)}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("publish: %v", err)
	}
}
