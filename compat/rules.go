package compat

import (
	"fmt"
	"slices"
	"strings"
)

// Rule is one kind of change Compare reports; Name is stable, for -allow
// and for CI configurations.
type Rule struct {
	Name    string
	Summary string
}

// The rule names.
const (
	EventRemoved            = "EVENT_REMOVED"
	BoundTightened          = "BOUND_TIGHTENED"
	BoundLoosened           = "BOUND_LOOSENED"
	ConsumedEventUndeclared = "CONSUMED_EVENT_UNDECLARED"
	FieldRemoved            = "FIELD_REMOVED"
	FieldRenamed            = "FIELD_RENAMED"
	FieldTypeChanged        = "FIELD_TYPE_CHANGED"
	FieldMadeRequired       = "FIELD_MADE_REQUIRED"
	FieldMadeOptional       = "FIELD_MADE_OPTIONAL"
	RequiredFieldAdded      = "REQUIRED_FIELD_ADDED"
	EnumValueAdded          = "ENUM_VALUE_ADDED"
	EnumValueRemoved        = "ENUM_VALUE_REMOVED"
	KeyChanged              = "KEY_CHANGED"
	VersionLowered          = "VERSION_LOWERED"
	VersionRaised           = "VERSION_RAISED"
	VersionRemoved          = "VERSION_REMOVED"
	VersionUnconsumed       = "VERSION_UNCONSUMED"
	ServiceRenamed          = "SERVICE_RENAMED"
	GoPackageChanged        = "GO_PACKAGE_CHANGED"
)

// Rules lists every rule, sorted by name.
var Rules = []Rule{
	{BoundLoosened, "a field's bound was loosened or removed, which consumers built before reject values beyond"},
	{BoundTightened, "a field's bound was added or tightened, which events in the log may break"},
	{ConsumedEventUndeclared, "a consumer still consumes an event its producer no longer declares"},
	{EnumValueAdded, "an enum gained a value, which consumers built before reject"},
	{EnumValueRemoved, "an enum lost a value that events in the log may carry"},
	{EventRemoved, "an event was removed (or renamed) while services consumed it"},
	{FieldMadeOptional, "a required field became optional, which consumers built before reject when absent"},
	{FieldMadeRequired, "an optional field became required, which events in the log may lack"},
	{FieldRemoved, "a field was removed"},
	{FieldRenamed, "a field was renamed: its wire name and Go name change"},
	{FieldTypeChanged, "a field's type (or a named type's kind) changed"},
	{GoPackageChanged, "the generated package's import path or name changed"},
	{KeyChanged, "an event's key names another field, or none"},
	{RequiredFieldAdded, "a required field was added, which events in the log lack"},
	{ServiceRenamed, "a service was renamed, and with it the type of each of its events"},
	{VersionLowered, "an event's version went down"},
	{VersionRaised, "an event's version went up: a new event on the wire"},
	{VersionRemoved, "an older version published beside the newest was removed"},
	{VersionUnconsumed, "an older version still published has no consumer left in the set: it can be removed"},
}

// Allow marks the breaking findings of the named rules as allowed. A name
// that is no rule is an error, so that a typo does not silently allow
// nothing.
func Allow(findings []*Finding, rules []string) error {
	var unknown []string
	for _, r := range rules {
		if !slices.ContainsFunc(Rules, func(x Rule) bool { return x.Name == r }) {
			unknown = append(unknown, fmt.Sprintf("%q", r))
		}
	}
	if len(unknown) > 0 {
		return fmt.Errorf("unknown rule %s; the rules are %s", strings.Join(unknown, ", "), ruleNames())
	}
	for _, f := range findings {
		if f.Breaking() && slices.Contains(rules, f.Rule) {
			f.Allowed = true
		}
	}
	return nil
}

func ruleNames() string {
	names := make([]string, len(Rules))
	for i, r := range Rules {
		names[i] = r.Name
	}
	return strings.Join(names, ", ")
}
