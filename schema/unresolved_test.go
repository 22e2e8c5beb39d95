package schema

import (
	"errors"
	"testing"
)

// TestKeepUnresolved loads a consumer whose producer lacks one consumed
// event and another service entirely: Load rejects it, KeepUnresolved
// keeps both entries aside and resolves the rest.
func TestKeepUnresolved(t *testing.T) {
	srcs := []Source{
		{Name: "users.yaml", Data: []byte("evgen: 1\nservice: users\nevents:\n  UserRegistered: {fields: {id: uuid}}\n")},
		{Name: "billing.yaml", Data: []byte("evgen: 1\nservice: billing\nconsumes:\n  users: [UserRegistered, UserDeleted]\n  shipping: [Shipped]\n")},
	}
	if _, err := LoadSources(srcs...); !errors.As(err, new(*Errors)) {
		t.Fatalf("LoadSources = %v, want the unresolved entries as errors", err)
	}
	set, err := LoadSourcesWith(LoadOptions{KeepUnresolved: true}, srcs...)
	if err != nil {
		t.Fatal(err)
	}
	billing := set.Services[0]
	if len(billing.Consumes) != 1 || billing.Consumes[0].Event.Type != "users.UserRegistered" {
		t.Errorf("Consumes = %v, want users.UserRegistered alone", billing.Consumes)
	}
	want := []Unresolved{
		{Producer: "users", Event: "UserDeleted", Pos: Pos{"billing.yaml", 4, 27}},
		{Producer: "shipping", Event: "Shipped", Pos: Pos{"billing.yaml", 5, 14}},
	}
	if len(billing.Unresolved) != len(want) {
		t.Fatalf("Unresolved = %d entries, want %d", len(billing.Unresolved), len(want))
	}
	for i, u := range billing.Unresolved {
		if *u != want[i] {
			t.Errorf("Unresolved[%d] = %+v, want %+v", i, *u, want[i])
		}
	}
}

// TestKeepUnresolvedStillRejectsSelfConsume: KeepUnresolved relaxes only
// names missing from the set, not the other rules of consumes.
func TestKeepUnresolvedStillRejectsSelfConsume(t *testing.T) {
	src := Source{Name: "users.yaml", Data: []byte("evgen: 1\nservice: users\nevents:\n  A: {}\nconsumes:\n  users: [A]\n")}
	if _, err := LoadSourcesWith(LoadOptions{KeepUnresolved: true}, src); !errors.As(err, new(*Errors)) {
		t.Fatalf("LoadSourcesWith = %v, want the self-consume error", err)
	}
}
