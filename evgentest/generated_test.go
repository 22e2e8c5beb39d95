package evgentest

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/evgenhq/evgen/schema"
	"github.com/evgenhq/evgen/templates"
)

const contract = `evgen: 1
service: mailer
events:
  MailSent:
    key: mail_id
    fields:
      mail_id: uuid
`

const directive = "package contracts\n\n//go:generate go run github.com/evgenhq/evgen/cmd/evgen generate -out ../mailerevents .\n"

// TestCheckGenerated runs CheckGenerated on a contracts directory whose
// package is fresh, and then broken in each way it must catch.
func TestCheckGenerated(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spoil func(t *testing.T, dir string) // dir holds the contracts; ../mailerevents the package
		want  string                         // in the first failure; "" for none
	}{
		{"fresh", func(*testing.T, string) {}, ""},
		{"contract edited", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "mailer.yaml"), contract+"      to: string\n")
		}, "stale: ../mailerevents/types.evgen.go (run go generate)"},
		{"file deleted", func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, "../mailerevents/publisher.evgen.go")); err != nil {
				t.Fatal(err)
			}
		}, "missing: ../mailerevents/publisher.evgen.go"},
		{"contract invalid", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "mailer.yaml"), strings.Replace(contract, "uuid", "uuuid", 1))
		}, "the contracts are invalid"},
		{"directive without -out", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "generate.go"), strings.Replace(directive, "-out ../mailerevents ", "", 1))
		}, "-out is required"},
		{"directive without contract paths", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "generate.go"), strings.Replace(directive, " .\n", "\n", 1))
		}, "no contract paths given"},
		{"no directive", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "generate.go"), "package contracts\n")
		}, "no //go:generate line running evgen generate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := freshPackage(t)
			tc.spoil(t, dir)
			got := failures(t, dir)
			switch {
			case tc.want == "" && len(got) > 0:
				t.Errorf("CheckGenerated failed a fresh package: %q", got)
			case tc.want != "" && (len(got) == 0 || !strings.Contains(got[0], tc.want)):
				t.Errorf("CheckGenerated reported %q, want a failure containing %q", got, tc.want)
			}
		})
	}
}

// freshPackage writes a contracts directory with its go:generate line and
// the package evgen generates from it, and returns the directory.
func freshPackage(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "contracts")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "mailer.yaml"), contract)
	write(t, filepath.Join(dir, "generate.go"), directive)
	t.Chdir(dir)
	set, err := schema.Load(".")
	if err != nil {
		t.Fatal(err)
	}
	files, err := templates.Generate(set, "mailer", templates.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir("../mailerevents", 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		write(t, filepath.Join("../mailerevents", f.Name), string(f.Data))
	}
	return dir
}

// failures runs CheckGenerated on dir with a recorder and returns what it
// reported, Fatalf included.
func failures(t *testing.T, dir string) []string {
	t.Helper()
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		CheckGenerated(r, dir)
	}()
	<-done
	return r.msgs
}

// recorder is a testing.TB that records failures instead of failing the
// test; Fatalf ends the goroutine as the real one does.
type recorder struct {
	testing.TB
	msgs []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
