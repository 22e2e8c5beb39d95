package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evgenhq/evgen/schema"
	"github.com/evgenhq/evgen/site"
)

// TestDocsWritesSite runs evgen docs over the example contracts and
// expects on disk exactly what site.Generate returns.
func TestDocsWritesSite(t *testing.T) {
	out := filepath.Join(t.TempDir(), "catalog")
	got := runEvgen(t, "docs", "-out", out, "../../examples/contracts")
	if got.code != exitOK || got.stderr != "" || got.stdout != "wrote "+out+"/index.html: 26 files\n" {
		t.Fatalf("exit %d\nstdout %q\nstderr %q", got.code, got.stdout, got.stderr)
	}
	set, err := schema.Load("../../examples/contracts")
	if err != nil {
		t.Fatal(err)
	}
	want, err := site.Generate(set, site.Options{})
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(want) {
		t.Errorf("%d files written, want %d", len(entries), len(want))
	}
	for name, data := range want {
		written, err := os.ReadFile(filepath.Join(out, name))
		if err != nil || !bytes.Equal(written, data) {
			t.Errorf("%s: not what site.Generate returns (%v)", name, err)
		}
	}
}

func TestDocsErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	invalid, err := os.ReadFile(testdata + "unknown_types/stderr.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no out", []string{"x.yaml"}, exitUsage,
			"evgen docs: -out is required: the directory to write the site into\nRun 'evgen docs -help' for usage.\n"},
		{"no paths", []string{"-out", "dir"}, exitUsage, "evgen docs: no contract paths given\nRun 'evgen docs -help' for usage.\n"},
		{"bad flag", []string{"-bogus"}, exitUsage, "flag provided but not defined: -bogus\nRun 'evgen docs -help' for usage.\n"},
		{"bad namespace", []string{"-out", "dir", "-namespace", "a b", "x.yaml"}, exitUsage,
			"evgen docs: -namespace: namespace \"a b\": want letters, digits, '_' and '-', starting with a letter or digit\nRun 'evgen docs -help' for usage.\n"},
		{"missing file", []string{"-out", "dir", testdata + "nope.yaml"}, exitUsage,
			"evgen docs: load contracts: stat " + testdata + "nope.yaml: no such file or directory\n"},
		{"invalid contracts", []string{"-out", "dir", testdata + "unknown_types"}, exitInvalid,
			strings.ReplaceAll(string(invalid), "testdata/", testdata)},
		{"unwritable directory", []string{"-out", filepath.Join(file, "catalog"), "../../examples/contracts"}, exitInvalid,
			"evgen docs: -out " + filepath.Join(file, "catalog") + ": cannot create the directory: mkdir " + file + ": not a directory\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := runEvgen(t, append([]string{"docs"}, tc.args...)...)
			if got.code != tc.code || got.stdout != "" || got.stderr != tc.stderr {
				t.Errorf("exit %d\nstdout %q\nstderr %q\nwant exit %d, stderr %q", got.code, got.stdout, got.stderr, tc.code, tc.stderr)
			}
		})
	}
}

func TestDocsHelp(t *testing.T) {
	for _, args := range [][]string{{"docs", "-help"}, {"help", "docs"}} {
		got := runEvgen(t, args...)
		if got.code != exitOK || got.stdout != docsUsage || got.stderr != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, got.code, got.stdout, got.stderr)
		}
	}
}
