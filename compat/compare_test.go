package compat

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/evgenhq/evgen/schema"
)

// producer is a users contract with one consumed event (UserRegistered),
// one nobody consumes (Audited) and the types they use; %s slots take the
// parts a case changes.
const producer = `evgen: 1
service: users
types:
  Plan: {enum: [free, pro]}
events:
  UserRegistered:
    %s
    fields:
      user_id: uuid
      %s
  Audited:
    fields:
      entry: string
      at: timestamp
`

const consumer = "evgen: 1\nservice: billing\nconsumes:\n  users: [UserRegistered]\n"

// users fills producer: the event's head (version, key) and its fields
// after user_id.
func users(head, fields string) string { return fmt.Sprintf(producer, head, fields) }

// bounded is the base case with bounds on email, written as flow-mapping
// keys after its type.
func bounded(keys string) string {
	return users("key: user_id", "plan: Plan\n      email: {type: string, "+keys+"}\n      name: {type: string, optional: true}")
}

func load(t *testing.T, opts schema.LoadOptions, files ...string) *schema.Set {
	t.Helper()
	var srcs []schema.Source
	for i, f := range files {
		srcs = append(srcs, schema.Source{Name: fmt.Sprintf("f%d.yaml", i), Data: []byte(f)})
	}
	set, err := schema.LoadSourcesWith(opts, srcs...)
	if err != nil {
		t.Fatalf("load: %v\n%s", err, strings.Join(files, "---\n"))
	}
	return set
}

// summary is a finding as the cases write it: RULE followed by each
// effect as mode=services, or "note".
func summary(f *Finding) string {
	parts := []string{f.Rule}
	for _, e := range f.Effects {
		parts = append(parts, string(e.Mode)+"="+strings.Join(e.Services, "+"))
	}
	if !f.Breaking() {
		parts = append(parts, "note")
	}
	return strings.Join(parts, " ")
}

func TestCompare(t *testing.T) {
	base := users("key: user_id", "plan: Plan\n      email: string\n      name: {type: string, optional: true}")
	for _, tc := range []struct {
		name     string
		old, new []string
		want     []string
	}{
		{"nothing changed", []string{base, consumer}, []string{base, consumer}, nil},
		{"optional field added", []string{base, consumer},
			[]string{users("key: user_id", "plan: Plan\n      email: string\n      name: {type: string, optional: true}\n      nick: {type: string, optional: true}"), consumer}, nil},
		{"optional field removed breaks code only", []string{base, consumer},
			[]string{users("key: user_id", "plan: Plan\n      email: string"), consumer}, []string{"FIELD_REMOVED code=billing"}},
		{"field of an unconsumed event removed is a note", []string{base, consumer},
			[]string{strings.Replace(base, "      entry: string\n", "", 1), consumer}, []string{"FIELD_REMOVED note"}},
		{"uuid to string breaks live only", []string{base, consumer},
			[]string{strings.Replace(base, "user_id: uuid", "user_id: string", 1), consumer}, []string{"FIELD_TYPE_CHANGED live=billing"}},
		{"string to uuid breaks replay only", []string{base, consumer},
			[]string{strings.Replace(base, "email: string", "email: uuid", 1), consumer}, []string{"FIELD_TYPE_CHANGED replay=billing"}},
		{"int32 to float64 breaks live and code", []string{users("", "n: int32"), consumer},
			[]string{users("", "n: float64"), consumer}, []string{"FIELD_TYPE_CHANGED live=billing code=billing"}},
		{"int64 to float64 breaks live, replay and code", []string{users("", "n: int64"), consumer},
			[]string{users("", "n: float64"), consumer}, []string{"FIELD_TYPE_CHANGED live=billing replay=billing code=billing"}},
		{"enum to string breaks live and code", []string{base, consumer},
			[]string{strings.Replace(base, "plan: Plan", "plan: string", 1), consumer}, []string{"FIELD_TYPE_CHANGED live=billing code=billing"}},
		{"string to enum breaks replay and code", []string{strings.Replace(base, "plan: Plan", "plan: string", 1), consumer},
			[]string{base, consumer}, []string{"FIELD_TYPE_CHANGED replay=billing code=billing"}},
		{"list<int32> to list<int64>", []string{users("", "n: list<int32>"), consumer},
			[]string{users("", "n: list<int64>"), consumer}, []string{"FIELD_TYPE_CHANGED live=billing code=billing"}},
		{"enum renamed with the same values breaks code only", []string{base, consumer},
			[]string{strings.Replace(strings.Replace(base, "Plan: {enum", "Tier: {enum", 1), "plan: Plan", "plan: Tier", 1), consumer},
			[]string{"FIELD_TYPE_CHANGED code=billing"}},
		{"enum became a struct", []string{base, consumer},
			[]string{strings.Replace(base, "Plan: {enum: [free, pro]}", "Plan: {fields: {name: string}}", 1), consumer},
			[]string{"FIELD_TYPE_CHANGED live=billing replay=billing code=billing"}},
		{"removed and added at another place are not a rename", []string{base, consumer},
			[]string{users("key: user_id", "plan: Plan\n      name: {type: string, optional: true}\n      mail: string"), consumer},
			[]string{"FIELD_REMOVED live=billing code=billing", "REQUIRED_FIELD_ADDED replay=billing"}},
		{"a new version is not compared field by field", []string{base, consumer},
			[]string{users("version: 2", "plan: Plan"), consumer}, []string{"VERSION_RAISED live=billing replay=billing"}},
		{"key removed", []string{base, consumer},
			[]string{users("", "plan: Plan\n      email: string\n      name: {type: string, optional: true}"), consumer}, []string{"KEY_CHANGED live=billing replay=billing"}},
		{"key added changes nothing", []string{users("", "plan: Plan"), consumer},
			[]string{users("key: user_id", "plan: Plan"), consumer}, nil},
		{"producer left the set with its consumer's entry", []string{base, consumer},
			[]string{"evgen: 1\nservice: billing\n"}, []string{"EVENT_REMOVED live=billing", "EVENT_REMOVED note"}},
		{"producer left the set, consumer still consumes", []string{base, consumer},
			[]string{consumer}, []string{"CONSUMED_EVENT_UNDECLARED live=billing code=billing", "EVENT_REMOVED note"}},
		{"renamed producer, consumer not updated", []string{base, consumer},
			[]string{strings.Replace(base, "service: users", "service: accounts", 1), consumer},
			[]string{"GO_PACKAGE_CHANGED code=accounts", "SERVICE_RENAMED live=billing", "CONSUMED_EVENT_UNDECLARED live=billing code=billing"}},
		{"max_length added breaks replay", []string{base, consumer},
			[]string{strings.Replace(base, "email: string", "email: {type: string, max_length: 254}", 1), consumer}, []string{"BOUND_TIGHTENED replay=billing"}},
		{"max_length lowered breaks replay", []string{bounded("max_length: 254"), consumer},
			[]string{bounded("max_length: 100"), consumer}, []string{"BOUND_TIGHTENED replay=billing"}},
		{"max_length raised breaks live", []string{bounded("max_length: 100"), consumer},
			[]string{bounded("max_length: 254"), consumer}, []string{"BOUND_LOOSENED live=billing"}},
		{"min_length removed breaks live", []string{bounded("min_length: 3"), consumer},
			[]string{base, consumer}, []string{"BOUND_LOOSENED live=billing"}},
		{"pattern added breaks replay", []string{base, consumer},
			[]string{bounded(`pattern: "@"`), consumer}, []string{"BOUND_TIGHTENED replay=billing"}},
		{"pattern changed breaks both ways", []string{bounded(`pattern: "@"`), consumer},
			[]string{bounded(`pattern: "^[^@]+@"`), consumer}, []string{"BOUND_LOOSENED live=billing", "BOUND_TIGHTENED replay=billing"}},
		{"one bound tighter, another looser", []string{bounded("min_length: 3, max_length: 100"), consumer},
			[]string{bounded("min_length: 1, max_length: 50"), consumer}, []string{"BOUND_LOOSENED live=billing", "BOUND_TIGHTENED replay=billing"}},
		{"max_items added to a field of an unconsumed event is a note", []string{base, consumer},
			[]string{strings.Replace(base, "entry: string", "entry: {type: list<string>, max_items: 3}", 1), consumer},
			[]string{"FIELD_TYPE_CHANGED note"}},
		{"max_items added to a list breaks replay", []string{users("", "tags: list<string>"), consumer},
			[]string{users("", "tags: {type: list<string>, max_items: 3}"), consumer}, []string{"BOUND_TIGHTENED replay=billing"}},
		{"bounds kept change nothing", []string{bounded("max_length: 254"), consumer}, []string{bounded("max_length: 254"), consumer}, nil},
		{"first contracts", nil, []string{base, consumer}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old := &schema.Set{}
			if tc.old != nil {
				old = load(t, schema.LoadOptions{}, tc.old...)
			}
			findings, err := Compare(old, load(t, schema.LoadOptions{KeepUnresolved: true}, tc.new...))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range findings {
				got = append(got, summary(f))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q\nwant %q\nfindings:\n%s", got, tc.want, lines(findings))
			}
		})
	}
}

func lines(fs []*Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.String() + "\n")
	}
	return b.String()
}

// TestCompareUnexplained: an unresolved entry naming an event that never
// existed is no break but an invalid set.
func TestCompareUnexplained(t *testing.T) {
	base := users("", "plan: Plan")
	typo := strings.Replace(consumer, "[UserRegistered]", "[UserRegistered, UserRegisterd]", 1)
	_, err := Compare(load(t, schema.LoadOptions{}, base, consumer), load(t, schema.LoadOptions{KeepUnresolved: true}, base, typo))
	var errs *schema.Errors
	if !errors.As(err, &errs) || !strings.Contains(err.Error(), "f1.yaml:4:27: service billing consumes users.UserRegisterd, which neither this set nor the earlier one declares") {
		t.Fatalf("Compare = %v, want the unexplained entry as *schema.Errors", err)
	}
}

func TestAllow(t *testing.T) {
	fs := []*Finding{
		{Rule: FieldRemoved, Effects: []Effect{{Mode: Code, Services: []string{"b"}}}},
		{Rule: FieldRemoved},
		{Rule: EnumValueAdded, Effects: []Effect{{Mode: Live, Services: []string{"b"}}}},
	}
	if err := Allow(fs, []string{FieldRemoved}); err != nil {
		t.Fatal(err)
	}
	if !fs[0].Allowed || fs[1].Allowed || fs[2].Allowed {
		t.Errorf("allowed = %t %t %t, want the breaking FIELD_REMOVED only", fs[0].Allowed, fs[1].Allowed, fs[2].Allowed)
	}
	err := Allow(nil, []string{"FIELD_REMOVD", FieldRemoved})
	if err == nil || !strings.HasPrefix(err.Error(), `unknown rule "FIELD_REMOVD"; the rules are BOUND_LOOSENED, `) {
		t.Errorf("Allow(typo) = %v", err)
	}
}

// TestRulesSortedAndDocumented keeps Rules sorted and gives every rule a
// row in the rules table of docs/evolution.md.
func TestRulesSortedAndDocumented(t *testing.T) {
	if !slices.IsSortedFunc(Rules, func(a, b Rule) int { return strings.Compare(a.Name, b.Name) }) {
		t.Error("Rules is not sorted by name")
	}
	doc, err := os.ReadFile("../docs/evolution.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range Rules {
		if !strings.Contains(string(doc), "\n| `"+r.Name+"` |") {
			t.Errorf("docs/evolution.md has no row for %s in its rules table", r.Name)
		}
	}
}

// TestCompareEveryPair compares every pair of the repository's valid
// contract sets, both ways: sets that share nothing, sets that share
// services with other shapes. Whatever the sets, Compare reports; it never
// panics, and comparing a set with itself finds nothing.
func TestCompareEveryPair(t *testing.T) {
	dirs := []string{"../examples/contracts", "../schema/testdata/valid_shop", "../schema/testdata/valid_consume_as"}
	more, _ := filepath.Glob("../templates/testdata/*")
	dirs = append(dirs, more...)
	var sets []*schema.Set
	for _, d := range dirs {
		set, err := schema.Load(d)
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		sets = append(sets, set)
	}
	for i, old := range sets {
		for j, new := range sets {
			findings, err := Compare(old, new)
			if err != nil {
				t.Errorf("%s against %s: %v", dirs[j], dirs[i], err)
			}
			if i == j && len(findings) > 0 {
				t.Errorf("%s against itself:\n%s", dirs[i], lines(findings))
			}
		}
	}
}
