package choreo

import (
	"slices"
	"strings"
	"testing"

	"github.com/evgenhq/evgen/schema"
)

func load(t *testing.T, dir string) *Graph {
	t.Helper()
	set, err := schema.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return FromSet(set)
}

// TestFromSetDrawsTheDeletionSaga checks the reactions of the example
// contracts: billing answers a deletion request, users completes or
// compensates.
func TestFromSetDrawsTheDeletionSaga(t *testing.T) {
	g := load(t, "../examples/contracts")
	var reactions []string
	for _, e := range g.Edges {
		if e.Kind == ReactsWith {
			reactions = append(reactions, e.From+" -> "+e.To+" by "+e.By)
		}
	}
	want := []string{
		"billing.AccountClosed -> users.UserDeleted by users",
		"billing.AccountClosureRejected -> users.UserReactivated by users",
		"users.UserDeletionRequested -> billing.AccountClosed by billing",
		"users.UserDeletionRequested -> billing.AccountClosureRejected by billing",
	}
	if !slices.Equal(reactions, want) {
		t.Errorf("reactions:\n%s\nwant:\n%s", strings.Join(reactions, "\n"), strings.Join(want, "\n"))
	}
	if got := g.ServiceNames(); !slices.Equal(got, []string{"billing", "users"}) {
		t.Errorf("services %v", got)
	}
	count := map[EdgeKind]int{}
	for _, e := range g.Edges {
		count[e.Kind]++
	}
	if count[Publishes] != 11 || count[Consumes] != 11 {
		t.Errorf("%d publishes and %d consumes edges, want 11 and 11", count[Publishes], count[Consumes])
	}
}

func TestFocusUnknownServiceNamesTheServices(t *testing.T) {
	_, err := load(t, "../examples/contracts").Focus("user")
	if err == nil || err.Error() != `no service "user" in the contract set; it has: billing, users` {
		t.Fatalf("err = %v", err)
	}
}

// TestFocusKeepsOnlyEdgesAmongKeptNodes checks that every edge of a
// neighbourhood joins two of its nodes.
func TestFocusKeepsOnlyEdgesAmongKeptNodes(t *testing.T) {
	full := load(t, "../cmd/evgen/testdata/graph/shop/contracts")
	for _, name := range full.ServiceNames() {
		g, err := full.Focus(name)
		if err != nil {
			t.Fatal(err)
		}
		nodes := map[string]bool{}
		for _, s := range g.Services {
			nodes[s.Name] = true
		}
		for _, ev := range g.Events {
			nodes[ev.Type] = true
		}
		if !nodes[name] {
			t.Errorf("focus %s lost the service itself", name)
		}
		for _, e := range g.Edges {
			if !nodes[e.From] || !nodes[e.To] {
				t.Errorf("focus %s: edge %s %s -> %s leaves the neighbourhood", name, e.Kind, e.From, e.To)
			}
		}
	}
}
