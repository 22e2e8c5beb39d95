package e2e

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	billingapp "github.com/evgenhq/evgen/examples/billing/app"
	"github.com/evgenhq/evgen/examples/demo/cluster"
	"github.com/evgenhq/evgen/internal/testenv"
)

// Billing is killed with SIGKILL while 500 email changes stream in, and
// started again: it ends with the last email, and its database shows each
// change applied exactly once (one row per version in customer_changes,
// whose key would refuse a second).
func TestKilledDuringChanges(t *testing.T) { killedDuringChanges(t, start(t)) }

// The same over NATS JetStream (-transport nats://...): billing's durable
// consumer keeps what it did not ack, and JetStream redelivers what the
// killed process held after the ack wait.
func TestKilledDuringChangesOverNATS(t *testing.T) {
	nats := testenv.NATSURL(t) + "?ack_wait=3s"
	killedDuringChanges(t, startIn(t, func(o *cluster.Options) { o.Transport = nats }).Cluster)
}

func killedDuringChanges(t *testing.T, c *cluster.Cluster) {
	t.Helper()
	const changes = 500
	u := register(t, c, "eve@0.example")

	killed := make(chan error, 1)
	killedAt := make(chan int64, 1)
	go func() {
		// Kill once billing has applied a fifth of the changes, while
		// users is still publishing the rest.
		cu, err := cluster.Await(ctx, 30*time.Second, "billing to apply 100 changes", func(ctx context.Context) (billingapp.Customer, bool, error) {
			cu, err := c.Billing.Customer(ctx, u.ID)
			return cu, err == nil && cu.Version > 100, nil
		})
		if err == nil {
			err = c.StopBilling(syscall.SIGKILL)
		}
		killedAt <- cu.Version
		killed <- err
	}()
	for i := 1; i <= changes; i++ {
		changeEmail(t, c, u.ID, fmt.Sprintf("eve@%d.example", i))
	}
	if err := <-killed; err != nil {
		t.Fatal(err)
	}
	t.Logf("billing killed at version %d of %d", <-killedAt, changes+1)

	if err := c.StartBilling(ctx); err != nil {
		t.Fatal(err)
	}
	cu := awaitCustomer(t, c, u.ID, "billing to catch up to the last change", func(cu billingapp.Customer) bool {
		return cu.Version == changes+1
	})
	if want := fmt.Sprintf("eve@%d.example", changes); cu.Email != want {
		t.Errorf("billing's copy has %s, want the last email %s", cu.Email, want)
	}
	applied := appliedVersions(t, c, u.ID)
	if len(applied) != changes+1 {
		t.Fatalf("billing applied %d changes, want %d (the registration and %d emails) each once", len(applied), changes+1, changes)
	}
	for i, ch := range applied[1:] {
		if want := fmt.Sprintf("eve@%d.example", i+1); ch.Email != want || ch.EventType != "users.UserEmailChanged" {
			t.Fatalf("version %d applied %s %s, want UserEmailChanged %s", ch.Version, ch.EventType, ch.Email, want)
		}
	}
	dups, err := c.Billing.Counter(ctx, "evgen_events_duplicates_total", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("restarted billing skipped %v redelivered duplicates", dups)
}
