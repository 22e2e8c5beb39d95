package schema

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*/stderr.txt from the current output")

// TestGolden loads each testdata/<case> directory as one contract set and
// compares every reported problem with testdata/<case>/stderr.txt; an
// empty stderr.txt means the set must be valid.
func TestGolden(t *testing.T) {
	cases, err := filepath.Glob("testdata/*/stderr.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("no testdata/*/stderr.txt cases")
	}
	for _, golden := range cases {
		dir := filepath.Dir(golden)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			got := loadOutput(t, dir)
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("Load(%s) reported:\n%s\nwant (%s):\n%s", dir, got, golden, want)
			}
		})
	}
}

// loadOutput is what `evgen validate dir` would print on stderr: the
// problems, one a line, or "" for a valid set.
func loadOutput(t *testing.T, dir string) string {
	t.Helper()
	_, err := Load(dir)
	if err == nil {
		return ""
	}
	var errs *Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Load(%s) = %v, want *schema.Errors or success", dir, err)
	}
	return errs.Error() + "\n"
}
