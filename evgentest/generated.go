package evgentest

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evgenhq/evgen/internal/gencheck"
	"github.com/evgenhq/evgen/schema"
	"github.com/evgenhq/evgen/templates"
)

// CheckGenerated makes a contract edited without `go generate` fail `go
// test`, not only a CI step that runs `evgen generate -check`: go build and
// go vet cannot see that generated code is stale, a test can. For every
// //go:generate line in the Go files of dir that runs evgen generate, it
// runs the check of `evgen generate -check` with that line's flags and
// paths, and fails t with each generated file that is stale, missing or no
// longer generated, or with the contracts' problems.
// It also fails t when dir has no such line.
//
// Like go generate, it resolves the line's paths from dir: it changes the
// working directory to dir for the rest of the test (t.Chdir), so the test
// must not be parallel. Put it in a test of the package holding the
// go:generate line:
//
//	func TestGeneratedIsFresh(t *testing.T) { evgentest.CheckGenerated(t, ".") }
func CheckGenerated(t testing.TB, dir string) {
	t.Helper()
	directives, err := evgenDirectives(dir)
	if err != nil {
		t.Fatalf("evgentest: %v", err)
	}
	if len(directives) == 0 {
		t.Fatalf("evgentest: no //go:generate line running evgen generate in the Go files of %s", dir)
	}
	t.Chdir(dir)
	for _, args := range directives {
		for _, problem := range check(args) {
			t.Errorf("evgen generate %s: %s", strings.Join(args, " "), problem)
		}
	}
}

// evgenDirectives are the arguments of the evgen generate lines in the Go
// files of dir.
func evgenDirectives(dir string) ([][]string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	var out [][]string
	for _, path := range paths {
		src, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		out = append(out, gencheck.Directives(src)...)
	}
	return out, nil
}

// check is `evgen generate -check` with args, run in the current
// directory: the problems it would print, none when the package is fresh.
func check(args []string) []string {
	var f gencheck.Flags
	fs := gencheck.FlagSet(&f, io.Discard)
	if err := fs.Parse(args); err != nil {
		return []string{"bad flags: " + err.Error()}
	}
	f.Paths = fs.Args()
	if err := f.Validate(); err != nil {
		return []string{err.Error()}
	}
	set, err := schema.Load(f.Paths...)
	var invalid *schema.Errors
	switch {
	case errors.As(err, &invalid):
		return []string{"the contracts are invalid; run evgen validate:\n" + invalid.Error()}
	case err != nil:
		return []string{err.Error()}
	}
	service, err := gencheck.PickService(set, f.Service)
	if err != nil {
		return []string{err.Error()}
	}
	files, err := templates.Generate(set, service, templates.Options{OmitVersion: f.OmitVersion})
	if err != nil {
		return []string{err.Error()}
	}
	problems := gencheck.Problems(f.Out, files)
	for i, p := range problems {
		problems[i] = p + " (run go generate)"
	}
	return problems
}
