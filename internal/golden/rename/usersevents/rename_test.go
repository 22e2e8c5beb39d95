package usersevents

import (
	"context"
	"testing"

	"github.com/evgenhq/evgen/runtime"
)

// A consumed event renamed with `as`, and a carried type whose name
// collides with the consumer's own: users has its own AccountClosed and
// Plan, so billing's are BillingAccountClosed and BillingPlan here.

type handlers struct{}

func (handlers) HandleBillingAccountClosed(context.Context, BillingAccountClosed, runtime.Meta) error {
	return nil
}
func (handlers) HandlePlanBilled(context.Context, PlanBilled, runtime.Meta) error { return nil }

var _ Handlers = handlers{}

func TestRenamedEventKeepsItsWireIdentity(t *testing.T) {
	var own AccountClosed
	var theirs BillingAccountClosed
	if own.EventType() != "users.AccountClosed" || theirs.EventType() != "billing.AccountClosed" {
		t.Errorf("types %q and %q", own.EventType(), theirs.EventType())
	}
	if got := (BillingAccountClosed{AccountID: 12}).EventKey(); got != "12" {
		t.Errorf("key %q, want 12", got)
	}
	c := Contract.Consumes[0]
	if c.Producer != "billing" || c.Name != "AccountClosed" || c.Type != "billing.AccountClosed" || c.Key != "account_id" {
		t.Errorf("Contract.Consumes[0] = %+v", c)
	}
}

func TestCarriedTypeIsQualified(t *testing.T) {
	if PlanFree == "" || BillingPlanPremium != "premium" {
		t.Errorf("constants %q %q", PlanFree, BillingPlanPremium)
	}
	if err := (PlanBilled{Plan: "pro", Amount: "1"}).Validate(); err == nil {
		t.Error(`billing's plan "pro" (a users plan) validated`)
	}
	if err := (PlanBilled{Plan: BillingPlanBasic, Amount: "1"}).Validate(); err != nil {
		t.Errorf("valid PlanBilled: %v", err)
	}
}
