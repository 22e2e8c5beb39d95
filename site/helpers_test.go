package site

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evgenhq/evgen/schema"
)

// examples are the example contracts, named as the README's command
// gives them (go run ./cmd/evgen docs -out /tmp/catalog examples/contracts)
// so that the pinned pages show the paths a reader sees.
func examples(t *testing.T) *schema.Set {
	t.Helper()
	return loadAs(t, "../", "examples/contracts")
}

// loadAs loads the contracts at root+path, naming each file by its path
// below root.
func loadAs(t *testing.T, root, path string) *schema.Set {
	t.Helper()
	srcs, err := schema.ReadSources(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	for i := range srcs {
		srcs[i].Name = filepath.ToSlash(strings.TrimPrefix(srcs[i].Name, filepath.Clean(root)+string(filepath.Separator)))
	}
	set, err := schema.LoadSources(srcs...)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func generate(t *testing.T, set *schema.Set) map[string][]byte {
	t.Helper()
	files, err := Generate(set, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// writeSite writes files into a new temporary directory, as evgen docs
// does, and returns the directory.
func writeSite(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
