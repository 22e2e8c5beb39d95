package service_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/evgenhq/evgen/internal/servicetest"
	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime/service"
)

// The engine's tests use the shared helpers of internal/servicetest under
// the short names they always had.

// userRegistered and invoicePaid stand in for generated event types.
type (
	userRegistered = testenv.UserRegistered
	invoicePaid    = servicetest.InvoicePaid
)

var (
	usersInfo        = servicetest.UsersInfo
	invoiceInfo      = servicetest.InvoiceInfo
	usersContract    = servicetest.UsersContract
	billingContract  = servicetest.BillingContract
	shippingContract = servicetest.ShippingContract
	fastRetry        = servicetest.FastRetry
	testLogger       = servicetest.Logger
	encode           = servicetest.Encode
	encodeEvent      = servicetest.EncodeEvent
)

// running is a service started by start or startReady.
type running = servicetest.Running

// recorder collects what handlers saw.
type recorder = servicetest.Recorder

// newService builds a service with test defaults (servicetest.Quiet).
func newService(t testing.TB, cfg service.Config) (*service.Service, *prometheus.Registry) {
	t.Helper()
	return servicetest.Quiet(t, cfg)
}

// metric sums the samples of the named metric in reg.
func metric(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	return servicetest.Metric(t, reg, name)
}

// start runs svc until stopped or the test ends.
func start(t *testing.T, svc *service.Service) *running {
	t.Helper()
	return servicetest.Start(t, svc)
}

// startReady is start, then waits until svc consumes.
func startReady(t *testing.T, svc *service.Service) *running {
	t.Helper()
	return servicetest.StartReady(t, svc)
}
