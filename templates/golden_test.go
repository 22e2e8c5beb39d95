package templates

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/evgenhq/evgen/schema"
)

var update = flag.Bool("update", false, "rewrite the expected output in internal/golden")

// goldenRoot holds the expected output: regular packages of the module, so
// that go build, go vet and go test reach them (testdata is skipped by the
// go tool). internal/golden/<case>/<package>/ is what Generate writes for
// each service of templates/testdata/<case>/.
const goldenRoot = "../internal/golden"

// TestGolden generates every service of every case in testdata and
// compares the files with the expected output; -update rewrites it.
func TestGolden(t *testing.T) {
	cases, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.Name(), func(t *testing.T) {
			set, err := schema.Load(filepath.Join("testdata", c.Name()))
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			for _, svc := range set.Services {
				files, err := Generate(set, svc.Name, Options{OmitVersion: true})
				if err != nil {
					t.Fatalf("generate %s: %v", svc.Name, err)
				}
				dir := filepath.Join(goldenRoot, c.Name(), svc.Package.Name)
				if *update {
					writeGolden(t, dir, files)
					continue
				}
				compareGolden(t, dir, files)
			}
		})
	}
}

func writeGolden(t *testing.T, dir string, files []File) {
	t.Helper()
	old, _ := filepath.Glob(filepath.Join(dir, "*"+Suffix))
	for _, path := range old {
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func compareGolden(t *testing.T, dir string, files []File) {
	t.Helper()
	want := map[string]bool{}
	for _, f := range files {
		want[f.Name] = true
		path := filepath.Join(dir, f.Name)
		expected, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%s: %v (run go test ./templates -update)", path, err)
			continue
		}
		if !bytes.Equal(expected, f.Data) {
			t.Errorf("%s differs from the generated file (run go test ./templates -update):\n%s", path, firstDiff(expected, f.Data))
		}
	}
	existing, _ := filepath.Glob(filepath.Join(dir, "*"+Suffix))
	for _, path := range existing {
		if !want[filepath.Base(path)] {
			t.Errorf("%s is no longer generated (run go test ./templates -update)", path)
		}
	}
}

// firstDiff shows the first line where want and got differ.
func firstDiff(want, got []byte) string {
	w, g := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\n  want: %s\n  got:  %s", i+1, wl, gl)
		}
	}
	return "(no line differs)"
}

// generatedHeader is how Go's tools recognise generated code.
var generatedHeader = regexp.MustCompile(`^// Code generated .* DO NOT EDIT\.$`)

// TestOutputIsCleanAndRepeatable checks every file of every case, with and
// without the version: the first line marks it generated, the second names
// the contract, gofmt would not change it, and a second run is identical.
func TestOutputIsCleanAndRepeatable(t *testing.T) {
	for _, opts := range []Options{{}, {OmitVersion: true}} {
		for _, c := range []string{"builtins", "rename"} {
			set, err := schema.Load(filepath.Join("testdata", c))
			if err != nil {
				t.Fatal(err)
			}
			for _, svc := range set.Services {
				first, err := Generate(set, svc.Name, opts)
				if err != nil {
					t.Fatal(err)
				}
				again, err := Generate(set, svc.Name, opts)
				if err != nil {
					t.Fatal(err)
				}
				for i, f := range first {
					lines := strings.SplitN(string(f.Data), "\n", 3)
					if !generatedHeader.MatchString(lines[0]) {
						t.Errorf("%s/%s: first line %q is not a generated-code header", svc.Name, f.Name, lines[0])
					}
					if strings.Contains(lines[0], "v0") == opts.OmitVersion {
						t.Errorf("%s/%s: OmitVersion %v, header %q", svc.Name, f.Name, opts.OmitVersion, lines[0])
					}
					if want := "// source: " + filepath.ToSlash(svc.File); lines[1] != want {
						t.Errorf("%s/%s: second line %q, want %q", svc.Name, f.Name, lines[1], want)
					}
					if formatted, err := format.Source(f.Data); err != nil || !bytes.Equal(formatted, f.Data) {
						t.Errorf("%s/%s: not gofmt-clean (format error: %v)", svc.Name, f.Name, err)
					}
					if !bytes.Equal(f.Data, again[i].Data) {
						t.Errorf("%s/%s: differs between two runs", svc.Name, f.Name)
					}
				}
			}
		}
	}
}

// TestFilesPerService checks which files a service gets: no publisher
// without own events, no handlers without consumed ones.
func TestFilesPerService(t *testing.T) {
	set, err := schema.Load(filepath.Join("testdata", "oneway"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		service string
		want    string
	}{
		{"producer", "contract.evgen.go publisher.evgen.go types.evgen.go"},
		{"consumer", "contract.evgen.go handlers.evgen.go sync.evgen.go types.evgen.go"},
	} {
		files, err := Generate(set, tc.service, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, f := range files {
			names = append(names, f.Name)
		}
		if got := strings.Join(names, " "); got != tc.want {
			t.Errorf("%s: files %s, want %s", tc.service, got, tc.want)
		}
	}
}

func TestUnknownService(t *testing.T) {
	set, err := schema.Load(filepath.Join("testdata", "oneway"))
	if err != nil {
		t.Fatal(err)
	}
	files, err := Generate(set, "billing", Options{})
	if err == nil || files != nil {
		t.Fatalf("Generate(billing) = %d files, %v; want no files and an error", len(files), err)
	}
	if want := `no service "billing" in the contract set (have consumer, producer)`; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}
