package schema

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestHostileInput feeds inputs too big or odd to commit as files and
// pins the error each one gets: no panic, no hang, one clear message.
func TestHostileInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"50MB", bytes.Repeat([]byte("# padding\n"), 5<<20),
			"in.yaml:1:1: file is larger than the 1 MiB limit for a contract file"},
		{"binary", []byte("\x7fELF\x02\x01\x01\x00\x00"),
			"in.yaml:1:1: control character U+007F is not allowed: a contract is a text file"},
		{"nul", []byte("evgen: 1\nservice: x\n  \x00"),
			"in.yaml:3:3: control character U+0000 is not allowed: a contract is a text file"},
		{"not UTF-8", []byte("evgen: 1\ndoc: caf\xe9\n"),
			"in.yaml:2:9: byte 0xe9 is not UTF-8: a contract is a UTF-8 text file"},
		{"1000-deep type expression", contract("      a: " + strings.Repeat("list<", 1000) + "string" + strings.Repeat(">", 1000)),
			"in.yaml:6:10: type expression nests deeper than 32 levels"},
		{"1000-deep named types", deepTypes(1000),
			"in.yaml:4:3: type T0 nests 1000 struct types deep (limit 32); flatten it"},
		{"1000-deep YAML mappings", contract("      a: " + strings.Repeat("{a: ", 1000) + "x" + strings.Repeat("}", 1000)),
			`in.yaml:6:11: unknown key "a" in field a of event E; known keys: type, optional, doc, deprecated, min_length, max_length, pattern, min_items, max_items` + "\n" +
				"in.yaml:6:10: field a of event E needs `type:`"},
		{"20000-deep YAML lists", contract("      a: " + strings.Repeat("[", 20000)),
			"in.yaml:6:1: invalid YAML: exceeded max depth of 10000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadSources(Source{Name: "in.yaml", Data: tc.data})
			var errs *Errors
			if !errors.As(err, &errs) {
				t.Fatalf("err = %v, want *Errors", err)
			}
			if got := sortedLines(errs.Error()); got != sortedLines(tc.want) {
				t.Errorf("got:\n%s\nwant:\n%s", errs.Error(), tc.want)
			}
		})
	}
}

// contract wraps field lines in a file with one event E.
func contract(fieldLines string) []byte {
	return []byte("evgen: 1\nservice: x\nevents:\n  E:\n    fields:\n" + fieldLines + "\n")
}

// deepTypes declares T0 containing T1 ... containing T(n-1), used by an event.
func deepTypes(n int) []byte {
	var b strings.Builder
	b.WriteString("evgen: 1\nservice: x\ntypes:\n")
	for i := range n - 1 {
		fmt.Fprintf(&b, "  T%d: {fields: {next: T%d}}\n", i, i+1)
	}
	fmt.Fprintf(&b, "  T%d: {fields: {v: string}}\n", n-1)
	b.WriteString("events:\n  E: {fields: {t: T0}}\n")
	return []byte(b.String())
}

func sortedLines(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// TestLoadBigFileFromDisk checks that Load rejects an oversized file
// without reading all of it, with the file's path in the message.
func TestLoadBigFileFromDisk(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(path, bytes.Repeat([]byte("#"), 50<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if want := path + ":1:1: file is larger than the 1 MiB limit for a contract file"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}

// TestManyErrors checks that a file with tens of thousands of problems
// costs little and prints the first MaxErrorsPerFile, then a count.
func TestManyErrors(t *testing.T) {
	var b strings.Builder
	for i := range 50000 {
		fmt.Fprintf(&b, "      f%d: uuidd\n", i)
	}
	_, err := LoadSources(Source{Name: "in.yaml", Data: contract(b.String())})
	var errs *Errors
	if !errors.As(err, &errs) || len(*errs) != MaxErrorsPerFile+1 {
		t.Fatalf("err = %.200v, want *Errors with %d problems", err, MaxErrorsPerFile+1)
	}
	want := fmt.Sprintf("in.yaml:205:13: too many errors: %d more in this file; fix these first", 50000-MaxErrorsPerFile)
	if last := (*errs)[MaxErrorsPerFile].Error(); last != want {
		t.Errorf("last line = %q, want %q", last, want)
	}
}
