package site

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the pinned pages in testdata/examples")

// pinned are the pages of the examples' catalog kept byte for byte: the
// index, a service that publishes and consumes, and an event with a list
// field and a consumer. The other pages are checked by TestSiteStructure.
var pinned = []string{
	"index.html",
	"service.users.html",
	"event.billing.AccountClosureRejected.html",
	"event.users.UserPlanChanged.schema.json",
	"style.css",
}

// TestGolden compares the pinned pages with testdata/examples; -update
// rewrites them.
func TestGolden(t *testing.T) {
	files := generate(t, examples(t))
	for _, name := range pinned {
		path := filepath.Join("testdata", "examples", name)
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, files[name], 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./site -update)", err)
		}
		if !bytes.Equal(files[name], want) {
			t.Errorf("%s differs from %s (run go test ./site -update and review the diff)", name, path)
		}
	}
}

// TestDeterministic generates the catalog twice, from two loads, and
// expects the same bytes.
func TestDeterministic(t *testing.T) {
	a, b := generate(t, examples(t)), generate(t, examples(t))
	if len(a) != len(b) {
		t.Fatalf("%d files, then %d", len(a), len(b))
	}
	for name, data := range a {
		if !bytes.Equal(data, b[name]) {
			t.Errorf("%s differs between two runs", name)
		}
	}
}
