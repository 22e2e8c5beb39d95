package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evgenhq/evgen/internal/testenv"
)

// parserDir holds the pinned official AsyncAPI parser (package.json,
// package-lock.json) and validate.mjs; node_modules is installed there on
// first use and not committed.
const parserDir = "testdata/asyncapi/parser"

// TestAsyncAPIParserAccepts validates every document of asyncapiCases with
// @asyncapi/parser, failing on any error or warning, and checks that the
// same script rejects a broken document, so that a passing run means
// something. Without node and npm it skips, or fails when
// EVGEN_REQUIRE_SERVICES is set (CI).
func TestAsyncAPIParserAccepts(t *testing.T) {
	node := asyncapiParser(t)
	dir := t.TempDir()
	var docs []string
	for _, tc := range asyncapiCases {
		path := filepath.Join(dir, tc.name+".yaml")
		if got := runEvgen(t, append([]string{"asyncapi", "-o", path}, tc.args...)...); got.code != exitOK {
			t.Fatalf("%s: exit %d, stderr %q", tc.name, got.code, got.stderr)
		}
		docs = append(docs, path)
	}
	if out, err := validateAsyncAPI(node, docs...); err != nil {
		t.Fatalf("the parser rejected the documents: %v\n%s", err, out)
	}

	broken := filepath.Join(dir, "broken.yaml")
	doc := strings.Replace(string(mustRead(t, docs[0])), "$ref: '#/channels/exchange'", "$ref: '#/channels/nowhere'", 1)
	if err := os.WriteFile(broken, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := validateAsyncAPI(node, broken); err == nil {
		t.Errorf("the parser accepted a document whose operation names a missing channel:\n%s", out)
	}
}

// asyncapiParser returns the node binary, with the parser installed in
// parserDir from its lock file.
func asyncapiParser(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = exec.LookPath("npm")
	}
	if err != nil {
		parserUnavailable(t, "node or npm missing", err, nil)
	}
	if _, err := os.Stat(filepath.Join(parserDir, "node_modules", "@asyncapi", "parser")); err == nil {
		return node
	}
	cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--prefix", parserDir)
	if out, err := cmd.CombinedOutput(); err != nil {
		parserUnavailable(t, "npm ci in "+parserDir+" failed", err, out)
	}
	return node
}

// parserUnavailable skips the test with one line, or fails it when
// EVGEN_REQUIRE_SERVICES is set, as for the broker and the database.
func parserUnavailable(t *testing.T, what string, err error, out []byte) {
	t.Helper()
	if testenv.Required() {
		t.Fatalf("the AsyncAPI parser is required (EVGEN_REQUIRE_SERVICES is set): %s: %v\n%s", what, err, out)
	}
	t.Skipf("%s, skipping the AsyncAPI parser check (set EVGEN_REQUIRE_SERVICES=1 to fail instead): %v", what, err)
}

// validateAsyncAPI runs validate.mjs over docs, returning its output.
func validateAsyncAPI(node string, docs ...string) (string, error) {
	var out bytes.Buffer
	cmd := exec.Command(node, append([]string{"validate.mjs"}, absolute(docs)...)...)
	cmd.Dir = parserDir
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func absolute(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		out[i] = p
	}
	return out
}
