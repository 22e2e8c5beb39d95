package main

import (
	"strings"
	"testing"
)

// TestBreakingUsage covers the usage errors and unreadable or invalid
// sets: all exit 2, with nothing on stdout.
func TestBreakingUsage(t *testing.T) {
	const c = breakingCases + "no_change/"
	for _, tc := range []struct {
		name   string
		args   []string
		stderr string
	}{
		{"no -against", []string{c + "after"}, "evgen breaking: -against is required: the directory or git revision to compare with\nRun 'evgen breaking -help' for usage.\n"},
		{"no paths", []string{"-against", c + "before"}, "evgen breaking: no contract paths given\nRun 'evgen breaking -help' for usage.\n"},
		{"bad flag", []string{"-bogus", c + "after"}, "flag provided but not defined: -bogus\nRun 'evgen breaking -help' for usage.\n"},
		{"bad format", []string{"-against", c + "before", "-format", "xml", c + "after"}, "evgen breaking: unknown -format \"xml\"; use text, json or github\nRun 'evgen breaking -help' for usage.\n"},
		{"unknown rule", []string{"-against", c + "before", "-allow", "FIELD_REMOVED,FIELD_REMOVD", c + "after"},
			"evgen breaking: -allow: unknown rule \"FIELD_REMOVD\"; the rules are BOUND_LOOSENED, BOUND_TIGHTENED, CONSUMED_EVENT_UNDECLARED, "},
		{"ref neither dir nor revision", []string{"-against", "no-such-ref-or-dir", c + "after"}, "evgen breaking: -against no-such-ref-or-dir: neither a directory nor a git revision\n"},
		{"ref looks like a flag", []string{"-against", "--output=x", c + "after"}, "evgen breaking: -against --output=x: neither a directory nor a git revision\n"},
		{"missing path", []string{"-against", c + "before", c + "nope"}, "evgen breaking: load contracts: stat " + c + "nope: no such file or directory\n"},
		{"not a contract", []string{"-against", c + "before", "breaking_test.go"}, "evgen breaking: the contracts are invalid:\nbreaking_test.go:"},
		{"invalid earlier set", []string{"-against", c + "before/billing.yaml", c + "after"},
			"evgen breaking: the contracts at " + c + "before/billing.yaml are invalid:\n" + c + "before/billing.yaml:10:3: consumes from unknown service \"users\"; load its contract in the same set\n"},
		{"consumed event that never existed", []string{"-against", breakingCases + "consumed_event_typo/before", breakingCases + "consumed_event_typo/after"},
			"evgen breaking: the contracts are invalid:\n" + breakingCases + "consumed_event_typo/after/billing.yaml:10:27: service users has no event \"UserDeletd\" (did you mean \"UserDeleted\"?)\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := runEvgen(t, append([]string{"breaking"}, tc.args...)...)
			if got.code != exitUsage || got.stdout != "" || !strings.HasPrefix(got.stderr, tc.stderr) {
				t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant exit 2, no stdout, stderr starting:\n%s", got.code, got.stdout, got.stderr, tc.stderr)
			}
		})
	}
}

func TestBreakingHelp(t *testing.T) {
	got := runEvgen(t, "help", "breaking")
	if got.code != exitOK || !strings.Contains(got.stdout, "usage: evgen breaking -against ref") || !strings.Contains(got.stdout, "  VERSION_RAISED ") {
		t.Errorf("help breaking: exit %d, stdout:\n%s", got.code, got.stdout)
	}
	if got := runEvgen(t, "help"); !strings.Contains(got.stdout, "\tbreaking   report the changes") {
		t.Errorf("help does not list breaking:\n%s", got.stdout)
	}
}

// TestBreakingSummary: a break that is not allowed ends with a line on
// stderr naming the rules to allow; allowed ones and notes say nothing.
func TestBreakingSummary(t *testing.T) {
	got := runEvgen(t, "breaking", "-against", breakingCases+"allow_some/before", "-allow", "FIELD_REMOVED", breakingCases+"allow_some/after")
	want := "evgen breaking: 1 breaking change against " + breakingCases + "allow_some/before; fix them, or accept them with -allow ENUM_VALUE_ADDED\n"
	if got.code != exitInvalid || got.stderr != want {
		t.Errorf("exit %d, stderr %q, want exit 1, stderr %q", got.code, got.stderr, want)
	}
	if got := runEvgen(t, "breaking", "-against", breakingCases+"note_only/before", breakingCases+"note_only/after"); got.stderr != "" {
		t.Errorf("notes only: stderr %q, want none", got.stderr)
	}
}
