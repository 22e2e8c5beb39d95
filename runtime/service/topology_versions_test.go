package service_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
)

// A consumer of an event at version 3 removes its queue's bindings to
// versions 1 and 2, and keeps the others.
func TestTopologyUnbindsLowerVersions(t *testing.T) {
	c := runtime.Contract{Service: "mailer", Consumes: []runtime.EventInfo{
		{Producer: "users", Name: "UserEmailChanged", Type: "users.UserEmailChanged", Version: 3},
		{Producer: "users", Name: "UserRegistered", Type: "users.UserRegistered", Version: 1},
	}}
	plan := service.Topology(service.Config{Contract: c, Namespace: "t"})
	want := []service.BindingSpec{
		{Queue: "t.mailer.queue", Exchange: "t.users", RoutingKey: "users.UserEmailChanged.v1"},
		{Queue: "t.mailer.queue", Exchange: "t.users", RoutingKey: "users.UserEmailChanged.v2"},
	}
	if !slices.Equal(plan.Unbindings, want) {
		t.Errorf("unbindings %v, want %v", plan.Unbindings, want)
	}
	if !strings.Contains(plan.String(), "unbind   t.mailer.queue <- t.users : users.UserEmailChanged.v2") {
		t.Errorf("the plan does not show the unbinding:\n%s", plan)
	}
}
