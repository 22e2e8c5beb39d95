package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/evgenhq/evgen/schema"
	"github.com/evgenhq/evgen/templates"
)

// TestGeneratedFresh fails when the committed packages in internal/ differ
// from what evgen generates from contracts/ now: run `go generate ./bench`.
func TestGeneratedFresh(t *testing.T) {
	set, err := schema.Load("contracts")
	if err != nil {
		t.Fatalf("load contracts: %v", err)
	}
	for service, dir := range map[string]string{
		"benchpub": "internal/benchpubevents",
		"benchsub": "internal/benchsubevents",
	} {
		files, err := templates.Generate(set, service, templates.Options{OmitVersion: true})
		if err != nil {
			t.Fatalf("generate %s: %v", service, err)
		}
		want := map[string]bool{}
		for _, f := range files {
			want[f.Name] = true
			got, err := os.ReadFile(filepath.Join(dir, f.Name))
			if err != nil || !bytes.Equal(got, f.Data) {
				t.Errorf("%s/%s is stale or missing (run go generate ./bench): %v", dir, f.Name, err)
			}
		}
		committed, err := filepath.Glob(filepath.Join(dir, "*"+templates.Suffix))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range committed {
			if !want[filepath.Base(p)] {
				t.Errorf("%s is no longer generated: delete it (go generate ./bench does)", p)
			}
		}
	}
}

// TestContractSetLoads keeps the generator case's synthetic contract set
// valid at every size the flags allow down to the smallest.
func TestContractSetLoads(t *testing.T) {
	for _, size := range []struct{ services, events int }{{1, 1}, {2, 3}, {6, 6}, {20, 1000}} {
		paths, err := contractSet(t.TempDir(), size.services, size.events)
		if err != nil {
			t.Fatal(err)
		}
		set, err := schema.Load(paths...)
		if err != nil {
			t.Fatalf("%d services, %d events: %v", size.services, size.events, err)
		}
		if got := countEvents(set); got != size.events {
			t.Errorf("%d services, %d events: loaded %d events", size.services, size.events, got)
		}
	}
}
