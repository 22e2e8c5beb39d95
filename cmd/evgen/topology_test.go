package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestTopologyGolden runs evgen topology with the arguments of each
// testdata/topology/<case>/args (paths relative to this directory) and
// compares stdout, stderr and the exit status with stdout.txt, stderr.txt
// and exit.txt; -update rewrites them.
func TestTopologyGolden(t *testing.T) {
	dirs, err := filepath.Glob("testdata/topology/*/args")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no testdata/topology/*/args cases (%v)", err)
	}
	for _, argsFile := range dirs {
		dir := filepath.Dir(argsFile)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			data, err := os.ReadFile(argsFile)
			if err != nil {
				t.Fatal(err)
			}
			got := runEvgen(t, append([]string{"topology"}, strings.Fields(string(data))...)...)
			files := map[string]string{"stdout.txt": got.stdout, "stderr.txt": got.stderr, "exit.txt": strconv.Itoa(got.code) + "\n"}
			for name, content := range files {
				checkGolden(t, filepath.Join(dir, name), []byte(content))
			}
		})
	}
}

// TestTopologyIsRepeatable checks that the same set prints the same bytes
// however its files are named on the command line.
func TestTopologyIsRepeatable(t *testing.T) {
	for _, format := range []string{"text", "json", "rabbitmq"} {
		a := runEvgen(t, "topology", "-format", format, "../../examples/contracts/users.yaml", "../../examples/contracts/billing.yaml")
		b := runEvgen(t, "topology", "-format", format, "../../examples/contracts/billing.yaml", "../../examples/contracts/users.yaml")
		if a.code != exitOK || a.stdout != b.stdout {
			t.Fatalf("-format %s: exit %d; the two orders printed different output:\n%s\n---\n%s\nstderr: %s", format, a.code, a.stdout, b.stdout, a.stderr)
		}
	}
}

// TestTopologyDocsShowTheExample checks that docs/other-languages.md shows
// billing's topology as evgen topology prints it today.
func TestTopologyDocsShowTheExample(t *testing.T) {
	golden, err := os.ReadFile("testdata/topology/examples/stdout.txt")
	if err != nil {
		t.Fatal(err)
	}
	billing, _, _ := strings.Cut(string(golden), "\n\n")
	doc, err := os.ReadFile("../../docs/other-languages.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), "```\n"+billing+"\n```\n") {
		t.Error("docs/other-languages.md does not show billing's topology as testdata/topology/examples/stdout.txt has it; paste it in a ``` block")
	}
}
