package jsonschema_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"testing"

	sjs "github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/evgenhq/evgen/examples/billing/billingevents"
	"github.com/evgenhq/evgen/examples/users/usersevents"
	"github.com/evgenhq/evgen/internal/golden/builtins/kitchenevents"
	"github.com/evgenhq/evgen/internal/ordered"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/schema"
	"github.com/evgenhq/evgen/templates/jsonschema"
)

// generated is one value of every event type of the generated packages
// the schemas describe, the consumers' copies included.
var generated = []runtime.Event{
	usersevents.UserRegistered{}, usersevents.UserEmailChanged{}, usersevents.UserPlanChanged{},
	usersevents.UserDeletionRequested{}, usersevents.UserDeleted{}, usersevents.UserReactivated{},
	usersevents.InvoiceIssued{}, usersevents.PaymentFailed{}, usersevents.InvoicePaid{},
	usersevents.AccountClosed{}, usersevents.AccountClosureRejected{},
	billingevents.InvoiceIssued{}, billingevents.PaymentFailed{}, billingevents.InvoicePaid{},
	billingevents.AccountClosed{}, billingevents.AccountClosureRejected{},
	billingevents.UserRegistered{}, billingevents.UserEmailChanged{}, billingevents.UserPlanChanged{},
	billingevents.UserDeletionRequested{}, billingevents.UserReactivated{}, billingevents.UserDeleted{},
	kitchenevents.Everything{}, kitchenevents.EverythingOptional{}, kitchenevents.Containers{},
	kitchenevents.Names{}, kitchenevents.Empty{},
}

// TestSchemasAcceptWhatGoEncodes fills every generated event type twice
// (every field set; only the required ones, lists and maps nil), checks
// that Go finds the value valid, and that the event's schema accepts its
// json.Marshal output. Then, for each required field, it checks that the
// schema and the generated decoder both reject the payload without it, and
// with each value of invalid for its type or an unknown enum value.
func TestSchemasAcceptWhatGoEncodes(t *testing.T) {
	events := contractEvents(t, "../../examples/contracts", "../testdata/builtins")
	covered := map[string]bool{}
	for _, v := range generated {
		id := v.EventType() + ".v" + strconv.Itoa(v.EventVersion())
		ev := events[id]
		if ev == nil {
			t.Fatalf("%T: no contract event %s", v, id)
		}
		covered[id] = true
		t.Run(fmt.Sprintf("%T", v), func(t *testing.T) {
			sch := compile(t, ev)
			for _, full := range []bool{true, false} {
				payload := encode(t, reflect.TypeOf(v), ev, full)
				if err := sch.Validate(instance(t, payload)); err != nil {
					t.Errorf("schema rejects %s: %v", payload, err)
				}
			}
			checkRejects(t, sch, reflect.TypeOf(v), ev)
		})
	}
	for id := range events {
		if !covered[id] {
			t.Errorf("event %s has no generated value in the test", id)
		}
	}
}

// contractEvents loads the sets and returns their events by routing key.
func contractEvents(t *testing.T, dirs ...string) map[string]*schema.Event {
	t.Helper()
	out := map[string]*schema.Event{}
	for _, dir := range dirs {
		set, err := schema.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, svc := range set.Services {
			for _, ev := range svc.Events {
				out[runtime.RoutingKey(ev.Type, ev.Version)] = ev
			}
		}
	}
	return out
}

// compile compiles the schema file of ev, asserting formats as a strict
// validator in another language would.
func compile(t *testing.T, ev *schema.Event) *sjs.Schema {
	t.Helper()
	data, err := ordered.JSON(jsonschema.Document(ev))
	if err != nil {
		t.Fatal(err)
	}
	doc := instance(t, data)
	c := sjs.NewCompiler()
	c.AssertFormat()
	url := "mem://" + jsonschema.FileName(ev)
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		t.Fatalf("compile %s: %v", url, err)
	}
	return sch
}

// encode fills a value of typ and returns its JSON, after checking Go
// itself finds the value valid.
func encode(t *testing.T, typ reflect.Type, ev *schema.Event, full bool) []byte {
	t.Helper()
	v := reflect.New(typ).Elem()
	fill(v, ev.Fields, full)
	e := v.Interface().(runtime.Event)
	if err := e.Validate(); err != nil {
		t.Fatalf("filled %T (full %v) is invalid in Go: %v", e, full, err)
	}
	data, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func instance(t *testing.T, data []byte) any {
	t.Helper()
	v, err := sjs.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// checkRejects mutates a full payload of ev, one required field at a
// time, and expects the schema and the Go decoder (with Validate) to
// reject every mutation.
func checkRejects(t *testing.T, sch *sjs.Schema, typ reflect.Type, ev *schema.Event) {
	t.Helper()
	base := encode(t, typ, ev, true)
	for _, f := range ev.Fields {
		if f.Optional {
			continue
		}
		mutations := map[string]any{"missing": nil}
		for i, bad := range invalid[f.Type.Kind] {
			mutations[fmt.Sprintf("invalid %d", i)] = bad
		}
		if f.Type.Kind == schema.KindNamed && f.Type.Named.IsEnum() {
			mutations["unknown enum value"] = "not_a_value"
		}
		for what, bad := range mutations {
			var obj map[string]any
			if err := json.Unmarshal(base, &obj); err != nil {
				t.Fatal(err)
			}
			if what == "missing" {
				delete(obj, f.Name)
			} else {
				obj[f.Name] = bad
			}
			payload, err := json.Marshal(obj)
			if err != nil {
				t.Fatal(err)
			}
			if sch.Validate(instance(t, payload)) == nil {
				t.Errorf("%s %s: schema accepts %s", f.Name, what, payload)
			}
			if goAccepts(typ, payload) {
				t.Errorf("%s %s: the generated decoder accepts %s, which the schema rejects", f.Name, what, payload)
			}
		}
	}
}

// goAccepts reports whether the generated code decodes payload into a
// valid event of typ.
func goAccepts(typ reflect.Type, payload []byte) bool {
	p := reflect.New(typ)
	if err := json.Unmarshal(payload, p.Interface()); err != nil {
		return false
	}
	return p.Elem().Interface().(runtime.Event).Validate() == nil
}
