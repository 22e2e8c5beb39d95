package schema

import (
	"errors"
	"io/fs"
	"reflect"
	"strings"
	"testing"
)

func loadShop(t *testing.T) (users, billing *Service) {
	t.Helper()
	set, err := Load("testdata/valid_shop")
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Services) != 2 {
		t.Fatalf("got %d services, want 2", len(set.Services))
	}
	return set.Services[1], set.Services[0]
}

func TestModelServices(t *testing.T) {
	users, billing := loadShop(t)
	if users.Name != "users" || billing.Name != "billing" {
		t.Fatalf("services not sorted by name: %s, %s", billing.Name, users.Name)
	}
	if users.Doc != "Owns user accounts." || users.File != "testdata/valid_shop/users.yaml" {
		t.Errorf("users: doc %q, file %q", users.Doc, users.File)
	}
	if got := users.Package; got.Name != "usersevents" || got.ImportPath != "github.com/acme/shop/users/usersevents" {
		t.Errorf("users package = %s %q", got.Name, got.ImportPath)
	}
	if got := billing.Package; got.Name != "billingevents" || got.ImportPath != "" {
		t.Errorf("billing package = %s %q, want the default name and no import path", got.Name, got.ImportPath)
	}
	if users.Package.Service != users {
		t.Error("Package.Service does not point back to its service")
	}
}

func TestModelEvent(t *testing.T) {
	users, _ := loadShop(t)
	ev := users.Events[0]
	if ev.Name != "UserRegistered" || ev.Type != "users.UserRegistered" || ev.Version != 1 || !ev.Snapshot {
		t.Errorf("event = %s %s v%d snapshot=%v", ev.Name, ev.Type, ev.Version, ev.Snapshot)
	}
	if ev.Key == nil || ev.Key.Name != "user_id" || ev.Key != ev.Fields[0] {
		t.Errorf("key = %+v, want the user_id field", ev.Key)
	}
	var got []string
	for _, f := range ev.Fields {
		got = append(got, f.Name+":"+f.GoName+":"+f.Type.String())
	}
	want := []string{"user_id:UserID:uuid", "email:Email:string", "name:Name:string", "plan:Plan:Plan",
		"address:Address:Address", "tags:Tags:list<string>", "limits:Limits:map<int64>", "registered_at:RegisteredAt:timestamp"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("fields = %v\nwant %v", got, want)
	}
	if !ev.Fields[2].Optional || ev.Fields[1].Optional {
		t.Error("optional flags wrong")
	}
	if ev.Fields[3].Type.Named != users.Types[0] {
		t.Error("plan field does not resolve to the Plan type")
	}
	if p := ev.Fields[1].Pos; p != (Pos{File: "testdata/valid_shop/users.yaml", Line: 23, Col: 7}) {
		t.Errorf("email position = %s", p)
	}
}

func TestModelTypesAndDeprecation(t *testing.T) {
	users, billing := loadShop(t)
	plan := users.Types[0]
	if !plan.IsEnum() || len(plan.Enum) != 3 || plan.Enum[2].Value != "enterprise" || plan.Enum[2].GoSuffix != "Enterprise" {
		t.Errorf("Plan enum = %+v", plan.Enum)
	}
	addr := users.Types[1]
	if addr.IsEnum() || addr.Fields[2].Doc != "ISO 3166-1 alpha-2" {
		t.Errorf("Address = %+v", addr)
	}
	failed := billing.Events[1]
	if failed.Version != 2 || failed.Fields[1].Deprecated != "use failure_code" || failed.Fields[0].Deprecated != "" {
		t.Errorf("PaymentFailed: version %d, deprecated %q", failed.Version, failed.Fields[1].Deprecated)
	}
	if users.Events[1].Deprecated != "" {
		t.Errorf("deprecated: false gave %q", users.Events[1].Deprecated)
	}
}

func TestModelPackageDecls(t *testing.T) {
	users, billing := loadShop(t)
	if got, want := eventDecls(billing.Package), []string{"InvoiceIssued own", "PaymentFailed own",
		"UserRegistered users.UserRegistered", "EmailChanged users.UserEmailChanged"}; !reflect.DeepEqual(got, want) {
		t.Errorf("billing events = %v, want %v", got, want)
	}
	if got, want := typeDecls(billing.Package), []string{"Money billing.Money", "Address users.Address carried", "Plan users.Plan carried"}; !reflect.DeepEqual(got, want) {
		t.Errorf("billing types = %v, want %v", got, want)
	}
	if got, want := typeDecls(users.Package), []string{"Plan users.Plan", "Address users.Address", "Money billing.Money carried"}; !reflect.DeepEqual(got, want) {
		t.Errorf("users types = %v, want %v", got, want)
	}
	if c := billing.Consumes[1]; c.LocalName != "EmailChanged" || c.Event != users.Events[1] {
		t.Errorf("consumed with as = %+v", c)
	}
}

func eventDecls(p *Package) []string {
	var out []string
	for _, d := range p.Events {
		what := d.Event.Type
		if d.Own {
			what = "own"
		}
		out = append(out, d.GoName+" "+what)
	}
	return out
}

func typeDecls(p *Package) []string {
	var out []string
	for _, d := range p.Types {
		s := d.GoName + " " + d.Type.Service.Name + "." + d.Type.Name
		if d.Carried {
			s += " carried"
		}
		out = append(out, s)
	}
	return out
}

// TestCarriedTypeNames pins the automatic rule: a carried type keeps its
// name unless it or one of its enum constants is taken, and is then
// qualified by its producer; a type two consumed events use is declared once.
func TestCarriedTypeNames(t *testing.T) {
	set, err := LoadSources(
		Source{Name: "billing.yaml", Data: []byte(`evgen: 1
service: billing
types:
  Plan: {fields: {name: string}}
  TierGold: {fields: {name: string}}
consumes:
  users: [UserRegistered, UserMoved]
`)},
		Source{Name: "users.yaml", Data: []byte(`evgen: 1
service: users
types:
  Plan: {enum: [free, gold]}
  Tier: {enum: [gold]}
  Address: {fields: {city: string, plan: Plan}}
events:
  UserRegistered:
    fields: {plan: Plan, tier: Tier, home: {type: Address, optional: true}}
  UserMoved:
    fields: {homes: list<Address>}
`)})
	if err != nil {
		t.Fatal(err)
	}
	billing := set.Services[0]
	want := []string{"Plan billing.Plan", "TierGold billing.TierGold", "Address users.Address carried",
		"UsersPlan users.Plan carried", "UsersTier users.Tier carried"}
	if got := typeDecls(billing.Package); !reflect.DeepEqual(got, want) {
		t.Errorf("types = %v\nwant %v", got, want)
	}
	users := set.Services[1]
	if got := billing.Package.TypeName(users.Types[0]); got != "UsersPlan" {
		t.Errorf("TypeName(users.Plan) = %q", got)
	}
}

func TestLoadErrorKinds(t *testing.T) {
	_, err := Load("testdata/does-not-exist.yaml")
	var invalid *Errors
	if err == nil || errors.As(err, &invalid) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: err = %v, want a plain error wrapping fs.ErrNotExist", err)
	}
	_, err = Load("testdata/keys")
	if !errors.As(err, &invalid) || len(*invalid) != 8 {
		t.Fatalf("invalid set: err = %v, want *Errors with 8 problems", err)
	}
	first := (*invalid)[0]
	if got := first.Error(); !strings.HasPrefix(got, "testdata/keys/a.yaml:8:10: event KeyTypo: key") {
		t.Errorf("first error = %q", got)
	}
	if _, err := LoadSources(); err == nil || errors.As(err, &invalid) {
		t.Errorf("LoadSources() = %v, want a plain error", err)
	}
}

func TestLoadPaths(t *testing.T) {
	for _, tc := range []struct {
		paths    []string
		services int
	}{
		{[]string{"testdata/valid_shop"}, 2},
		{[]string{"testdata/valid_shop/users.yaml", "testdata/valid_shop/billing.yaml"}, 2},
		{[]string{"testdata/valid_shop", "testdata/valid_shop/users.yaml"}, 2},
		{[]string{"testdata/valid_shop/..."}, 2},
	} {
		set, err := Load(tc.paths...)
		if err != nil {
			t.Errorf("Load(%v): %v", tc.paths, err)
			continue
		}
		if len(set.Services) != tc.services {
			t.Errorf("Load(%v): %d services, want %d", tc.paths, len(set.Services), tc.services)
		}
	}
	if _, err := Load("./..."); err == nil || !strings.Contains(err.Error(), "no *.yaml or *.yml files below .") {
		t.Errorf(`Load("./...") = %v, want "no files" (testdata is skipped)`, err)
	}
}

// TestModelOrderBy checks that order_by reaches every event of its key,
// and no other.
func TestModelOrderBy(t *testing.T) {
	set, err := Load("testdata/valid_order_by")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"Opened": "version", "Renamed": "version", "Audited": ""}
	for _, ev := range set.Services[0].Events {
		got := ""
		if ev.OrderBy != nil {
			got = ev.OrderBy.Name
		}
		if got != want[ev.Name] {
			t.Errorf("event %s: OrderBy = %q, want %q", ev.Name, got, want[ev.Name])
		}
	}
}
