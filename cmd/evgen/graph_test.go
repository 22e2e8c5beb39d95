package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestGraphGolden runs evgen graph with the arguments of each
// testdata/graph/<case>/args (paths relative to this directory) and
// compares stdout, stderr and the exit status with stdout.txt, stderr.txt
// and exit.txt; -update rewrites them.
func TestGraphGolden(t *testing.T) {
	dirs, err := filepath.Glob("testdata/graph/*/args")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no testdata/graph/*/args cases (%v)", err)
	}
	for _, argsFile := range dirs {
		dir := filepath.Dir(argsFile)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			data, err := os.ReadFile(argsFile)
			if err != nil {
				t.Fatal(err)
			}
			got := runEvgen(t, append([]string{"graph"}, strings.Fields(string(data))...)...)
			files := map[string]string{"stdout.txt": got.stdout, "stderr.txt": got.stderr, "exit.txt": strconv.Itoa(got.code) + "\n"}
			for name, content := range files {
				path := filepath.Join(dir, name)
				if *update {
					if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if content != string(want) {
					t.Errorf("%s:\n%s\nwant (%s):\n%s", name, content, path, want)
				}
			}
		})
	}
}

// TestGraphIsRepeatable checks that the same set prints the same bytes
// however its files are named on the command line.
func TestGraphIsRepeatable(t *testing.T) {
	a := runEvgen(t, "graph", "../../examples/contracts/users.yaml", "../../examples/contracts/billing.yaml")
	b := runEvgen(t, "graph", "../../examples/contracts/billing.yaml", "../../examples/contracts/users.yaml")
	if a.code != exitOK || a.stdout != b.stdout {
		t.Fatalf("exit %d; the two orders printed different graphs:\n%s\n---\n%s\nstderr: %s", a.code, a.stdout, b.stdout, a.stderr)
	}
}

// TestGraphDocsShowTheExample checks that the README and docs/visibility.md
// show the example's graph as evgen graph prints it today.
func TestGraphDocsShowTheExample(t *testing.T) {
	graph, err := os.ReadFile("testdata/graph/examples/stdout.txt")
	if err != nil {
		t.Fatal(err)
	}
	block := "```mermaid\n" + string(graph) + "```\n"
	for _, doc := range []string{"../../README.md", "../../docs/visibility.md"} {
		data, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), block) {
			t.Errorf("%s does not show the example's graph as testdata/graph/examples/stdout.txt has it; paste it in a ```mermaid block", doc)
		}
	}
}
