package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testdata = "../../schema/testdata/"

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"valid dir", []string{testdata + "valid_shop"}, exitOK, "ok: 2 services, 4 events\n", ""},
		{"valid files", []string{testdata + "valid_shop/users.yaml", testdata + "valid_shop/billing.yaml"}, exitOK, "ok: 2 services, 4 events\n", ""},
		{"valid recursive", []string{testdata + "valid_shop/..."}, exitOK, "ok: 2 services, 4 events\n", ""},
		{"one file of a set", []string{testdata + "valid_consume_as/billing.yaml"}, exitInvalid, "",
			testdata + "valid_consume_as/billing.yaml:14:3: consumes from unknown service \"users\"; load its contract in the same set\n"},
		{"no paths", nil, exitUsage, "", "evgen validate: no contract paths given\nRun 'evgen validate -help' for usage.\n"},
		{"bad flag", []string{"-bogus", "x.yaml"}, exitUsage, "", "flag provided but not defined: -bogus\nRun 'evgen validate -help' for usage.\n"},
		{"missing file", []string{testdata + "nope.yaml"}, exitUsage, "",
			"evgen validate: load contracts: stat " + testdata + "nope.yaml: no such file or directory\n"},
		{"empty dir", []string{testdata + "../"}, exitUsage, "", "evgen validate: load contracts: no *.yaml or *.yml files in directory " + testdata + "../\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := runEvgen(t, append([]string{"validate"}, tc.args...)...)
			if got != (result{tc.code, tc.stdout, tc.stderr}) {
				t.Errorf("got exit %d\nstdout %q\nstderr %q\nwant exit %d\nstdout %q\nstderr %q",
					got.code, got.stdout, got.stderr, tc.code, tc.stdout, tc.stderr)
			}
		})
	}
}

// TestValidateReportsEverySchemaCase runs validate over each invalid case
// of the schema package and expects exactly its stderr.txt, exit 1.
func TestValidateReportsEverySchemaCase(t *testing.T) {
	goldens, err := filepath.Glob(testdata + "*/stderr.txt")
	if err != nil || len(goldens) == 0 {
		t.Fatalf("no schema cases: %v", err)
	}
	for _, golden := range goldens {
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Dir(golden)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			got := runEvgen(t, "validate", dir)
			wantCode, wantStderr := exitInvalid, strings.ReplaceAll(string(want), "testdata/", testdata)
			if len(want) == 0 {
				wantCode = exitOK
			}
			if got.code != wantCode || got.stderr != wantStderr {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d, stderr:\n%s", got.code, got.stderr, wantCode, wantStderr)
			}
		})
	}
}

func TestValidateHelp(t *testing.T) {
	for _, flag := range []string{"-help", "--help", "-h"} {
		got := runEvgen(t, "validate", flag)
		if got.code != exitOK || got.stdout != validateUsage || got.stderr != "" {
			t.Errorf("validate %s: exit %d, stdout %q, stderr %q", flag, got.code, got.stdout, got.stderr)
		}
	}
}

// TestValidateExamples validates the repository's example contract sets,
// as the README does: the example services' and the README's own.
func TestValidateExamples(t *testing.T) {
	matches, _ := filepath.Glob("../../examples/contracts/*.yaml")
	if len(matches) < 2 {
		t.Fatalf("found %d example contracts, want users and billing: %v", len(matches), matches)
	}
	for dir, want := range map[string]string{
		"../../examples/contracts":        "ok: 2 services, 11 events\n",
		"../../examples/readme/contracts": "ok: 2 services, 3 events\n",
	} {
		got := runEvgen(t, "validate", dir)
		if got.code != exitOK || got.stdout != want {
			t.Errorf("validate %s: exit %d\n%s%s", dir, got.code, got.stdout, got.stderr)
		}
	}
}
