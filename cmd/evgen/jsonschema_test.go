package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestJSONSchemaGolden pins the schema files of every event of the
// examples and of the kitchen sink under testdata/jsonschema/<case>/.
func TestJSONSchemaGolden(t *testing.T) {
	for _, tc := range []struct{ name, dir string }{{"examples", examplesDir}, {"kitchen", kitchenDir}} {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			if got := runEvgen(t, "jsonschema", "-out", out, tc.dir); got != (result{exitOK, "", ""}) {
				t.Fatalf("got %+v", got)
			}
			golden := filepath.Join("testdata", "jsonschema", tc.name)
			if *update {
				if err := os.RemoveAll(golden); err != nil {
					t.Fatal(err)
				}
			}
			written := schemaFiles(t, out)
			for _, name := range written {
				checkGolden(t, filepath.Join(golden, name), mustRead(t, filepath.Join(out, name)))
			}
			if pinned := schemaFiles(t, golden); !slices.Equal(pinned, written) {
				t.Errorf("wrote %v, testdata has %v (run go test ./cmd/evgen -update)", written, pinned)
			}
		})
	}
}

func schemaFiles(t *testing.T, dir string) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range paths {
		names = append(names, filepath.Base(p))
	}
	return names
}

// TestJSONSchemaService checks -service picks what the service publishes
// and consumes.
func TestJSONSchemaService(t *testing.T) {
	out := t.TempDir()
	if got := runEvgen(t, "jsonschema", "-service", "billing", "-out", out, examplesDir); got.code != exitOK {
		t.Fatalf("got %+v", got)
	}
	files := schemaFiles(t, out)
	for _, want := range []string{"billing.InvoicePaid.v1.schema.json", "users.UserRegistered.v1.schema.json"} {
		if !slices.Contains(files, want) {
			t.Errorf("%s not written; got %v", want, files)
		}
	}
}

// TestJSONSchemaBaseURL checks -base-url gives each schema its $id.
func TestJSONSchemaBaseURL(t *testing.T) {
	out := t.TempDir()
	if got := runEvgen(t, "jsonschema", "-base-url", "https://example.com/schemas/", "-out", out, examplesDir); got.code != exitOK {
		t.Fatalf("got %+v", got)
	}
	data := string(mustRead(t, filepath.Join(out, "users.UserDeleted.v1.schema.json")))
	want := "{\n  \"$schema\": \"https://json-schema.org/draft/2020-12/schema\",\n  \"$id\": \"https://example.com/schemas/users.UserDeleted.v1.schema.json\",\n  \"title\""
	if !strings.HasPrefix(data, want) {
		t.Errorf("schema starts\n%s\nwant\n%s", data[:min(len(data), len(want))], want)
	}
}

func TestJSONSchemaErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr string // substring
	}{
		{"unknown service", []string{"-service", "shop", "-out", t.TempDir(), examplesDir}, exitUsage,
			"evgen jsonschema: -service shop: no such service in the contract set (have billing, users)\n"},
		{"out required", []string{examplesDir}, exitUsage,
			"evgen jsonschema: -out is required: the directory to write the schemas to\n"},
		{"out is a file", []string{"-out", file, examplesDir}, exitUsage,
			"evgen jsonschema: create output directory: mkdir " + file + ": not a directory\n"},
		{"out under a file", []string{"-out", filepath.Join(file, "schemas"), examplesDir}, exitUsage,
			"evgen jsonschema: create output directory: mkdir " + file + ": not a directory\n"},
		{"relative base URL", []string{"-base-url", "schemas", "-out", t.TempDir(), examplesDir}, exitUsage,
			`evgen jsonschema: base URL "schemas": want an absolute URL such as https://example.com/schemas` + "\n"},
		{"no paths", []string{"-out", t.TempDir()}, exitUsage,
			"evgen jsonschema: no contract paths given\nRun 'evgen jsonschema -help' for usage.\n"},
		{"invalid contracts", []string{"-out", t.TempDir(), testdata + "valid_consume_as/billing.yaml"}, exitInvalid,
			`billing.yaml:14:3: consumes from unknown service "users"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := runEvgen(t, append([]string{"jsonschema"}, tc.args...)...)
			if got.code != tc.code || !strings.Contains(got.stderr, tc.stderr) || got.stdout != "" {
				t.Errorf("got exit %d, stdout %q, stderr %q; want exit %d, stderr containing %q",
					got.code, got.stdout, got.stderr, tc.code, tc.stderr)
			}
		})
	}
}

func TestJSONSchemaHelp(t *testing.T) {
	got := runEvgen(t, "help", "jsonschema")
	if got.code != exitOK || !strings.HasPrefix(got.stdout, "usage: evgen jsonschema [-service name] [-base-url url] -out dir") {
		t.Errorf("exit %d, stdout %q", got.code, got.stdout)
	}
}
