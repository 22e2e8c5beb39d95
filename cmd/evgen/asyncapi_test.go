package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Contract sets the document tests run over: the examples and the
// kitchen sink of every type.
const (
	examplesDir = "../../examples/contracts"
	kitchenDir  = "../../templates/testdata/builtins"
)

// asyncapiCases are the documents pinned in testdata/asyncapi/<name>.yaml
// (go test ./cmd/evgen -update rewrites them), each also checked by the
// official parser in TestAsyncAPIParserAccepts.
var asyncapiCases = []struct {
	name string
	args []string
}{
	{"users", []string{"-service", "users", examplesDir}},
	{"billing", []string{"-service", "billing", examplesDir}},
	{"kitchen", []string{kitchenDir}},
}

func TestAsyncAPIGolden(t *testing.T) {
	for _, tc := range asyncapiCases {
		t.Run(tc.name, func(t *testing.T) {
			got := runEvgen(t, append([]string{"asyncapi"}, tc.args...)...)
			if got.code != exitOK || got.stderr != "" {
				t.Fatalf("exit %d, stderr %q", got.code, got.stderr)
			}
			checkGolden(t, filepath.Join("testdata", "asyncapi", tc.name+".yaml"), []byte(got.stdout))
			again := runEvgen(t, append([]string{"asyncapi"}, tc.args...)...)
			if again.stdout != got.stdout {
				t.Error("a second run wrote a different document")
			}
		})
	}
}

// checkGolden compares got with the file at path, or rewrites it with
// -update.
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/evgen -update)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs (run go test ./cmd/evgen -update):\n%s", path, lineDiff(want, got))
	}
}

// lineDiff shows the first line where want and got differ.
func lineDiff(want, got []byte) string {
	w, g := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "line " + strconv.Itoa(i+1) + ":\n  want: " + wl + "\n  got:  " + gl
		}
	}
	return "(no line differs)"
}

func TestAsyncAPIWritesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.yaml")
	got := runEvgen(t, "asyncapi", "-service", "users", "-o", path, examplesDir)
	if got != (result{exitOK, "", ""}) {
		t.Fatalf("got %+v", got)
	}
	checkGolden(t, filepath.Join("testdata", "asyncapi", "users.yaml"), mustRead(t, path))
}

func TestAsyncAPINamespace(t *testing.T) {
	got := runEvgen(t, "asyncapi", "-service", "users", "-namespace", "shop", examplesDir)
	for _, want := range []string{"address: shop.users\n", "name: shop.users.dlq\n"} {
		if !strings.Contains(got.stdout, want) {
			t.Errorf("document lacks %q", want)
		}
	}
	if strings.Contains(got.stdout, "evgen.users") {
		t.Error("document still names the default namespace")
	}
}

func TestAsyncAPIErrors(t *testing.T) {
	unwritable := filepath.Join(t.TempDir(), "missing", "users.yaml")
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr string // substring
	}{
		{"unknown service", []string{"-service", "shop", examplesDir}, exitUsage,
			"evgen asyncapi: -service shop: no such service in the contract set (have billing, users)\n"},
		{"service required", []string{examplesDir}, exitUsage,
			"evgen asyncapi: -service is required: the contract set has 2 services (billing, users)\n"},
		{"unwritable", []string{"-service", "users", "-o", unwritable, examplesDir}, exitUsage,
			"evgen asyncapi: write the document: open " + unwritable + ": no such file or directory\n"},
		{"bad namespace", []string{"-service", "users", "-namespace", "a.b", examplesDir}, exitUsage,
			`evgen asyncapi: -namespace: namespace "a.b" has a dot`},
		{"no paths", []string{"-service", "users"}, exitUsage,
			"evgen asyncapi: no contract paths given\nRun 'evgen asyncapi -help' for usage.\n"},
		{"bad flag", []string{"-bogus", examplesDir}, exitUsage,
			"flag provided but not defined: -bogus\nRun 'evgen asyncapi -help' for usage.\n"},
		{"invalid contracts", []string{testdata + "valid_consume_as/billing.yaml"}, exitInvalid,
			`billing.yaml:14:3: consumes from unknown service "users"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := runEvgen(t, append([]string{"asyncapi"}, tc.args...)...)
			if got.code != tc.code || !strings.Contains(got.stderr, tc.stderr) || got.stdout != "" {
				t.Errorf("got exit %d, stdout %q, stderr %q; want exit %d, stderr containing %q",
					got.code, got.stdout, got.stderr, tc.code, tc.stderr)
			}
		})
	}
}

func TestAsyncAPIHelp(t *testing.T) {
	for _, args := range [][]string{{"asyncapi", "-help"}, {"help", "asyncapi"}} {
		got := runEvgen(t, args...)
		if got.code != exitOK || !strings.HasPrefix(got.stdout, "usage: evgen asyncapi [-service name]") {
			t.Errorf("%v: exit %d, stdout %q", args, got.code, got.stdout)
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
