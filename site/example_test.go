package site

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/evgenhq/evgen/examples/billing/billingevents"
	"github.com/evgenhq/evgen/examples/users/usersevents"
	"github.com/evgenhq/evgen/internal/golden/builtins/kitchenevents"
	"github.com/evgenhq/evgen/schema"
)

// decoded is an event type of a generated package.
type decoded interface {
	json.Unmarshaler
	Validate() error
}

// TestExamplesDecode decodes the example payload of every event with the
// generated code of a consumer: the example services' and, for every
// built-in type, optional and in containers, the golden kitchen package's.
func TestExamplesDecode(t *testing.T) {
	for _, tc := range []struct {
		set    *schema.Set
		events map[string]decoded
	}{
		{examples(t), map[string]decoded{
			"users.UserRegistered": &billingevents.UserRegistered{}, "users.UserEmailChanged": &billingevents.UserEmailChanged{},
			"users.UserPlanChanged": &billingevents.UserPlanChanged{}, "users.UserDeletionRequested": &billingevents.UserDeletionRequested{},
			"users.UserDeleted": &billingevents.UserDeleted{}, "users.UserReactivated": &billingevents.UserReactivated{},
			"billing.InvoiceIssued": &usersevents.InvoiceIssued{}, "billing.PaymentFailed": &usersevents.PaymentFailed{},
			"billing.InvoicePaid": &usersevents.InvoicePaid{}, "billing.AccountClosed": &usersevents.AccountClosed{},
			"billing.AccountClosureRejected": &usersevents.AccountClosureRejected{},
		}},
		{loadAs(t, "../templates/", "testdata/builtins"), map[string]decoded{
			"kitchen.Everything": &kitchenevents.Everything{}, "kitchen.EverythingOptional": &kitchenevents.EverythingOptional{},
			"kitchen.Containers": &kitchenevents.Containers{}, "kitchen.Names": &kitchenevents.Names{},
			"kitchen.Empty": &kitchenevents.Empty{},
		}},
	} {
		for _, s := range tc.set.Services {
			for _, ev := range s.Events {
				v, ok := tc.events[ev.Type]
				if !ok {
					t.Errorf("%s: no generated type in the test's table", ev.Type)
					continue
				}
				payload, err := example(ev)
				if err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal([]byte(payload), v); err != nil {
					t.Errorf("%s: the generated decoder refuses the example: %v\n%s", ev.Type, err, payload)
				} else if err := v.Validate(); err != nil {
					t.Errorf("%s: the example does not validate: %v\n%s", ev.Type, err, payload)
				}
			}
		}
	}
}

// TestExampleRecursiveType writes an example of a type that contains
// itself through an optional field and a list: the recursion stops.
func TestExampleRecursiveType(t *testing.T) {
	set, err := schema.LoadSources(schema.Source{Name: "tree.yaml", Data: []byte(`evgen: 1
service: tree
types:
  Node:
    fields:
      name: string
      parent: {type: Node, optional: true}
      children: list<Node>
      by_name: map<Node>
events:
  Planted:
    fields:
      root: Node
`)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := example(set.Services[0].Events[0])
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "root": {
    "name": "example name",
    "children": [],
    "by_name": {}
  }
}`
	if got != want {
		t.Errorf("example:\n%s\nwant:\n%s", got, want)
	}
	files := generate(t, set)
	if js := files["event.tree.Planted.schema.json"]; !strings.Contains(string(js), `"$ref": "#/$defs/tree.Node"`) {
		t.Errorf("schema of a recursive type:\n%s", js)
	}
}
