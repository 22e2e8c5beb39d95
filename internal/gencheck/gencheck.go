// Package gencheck is what `evgen generate` and `evgen generate -check` do
// besides loading contracts and generating: their flags, the choice of the
// service, and the comparison of a generated package on disk with what
// evgen would write now. cmd/evgen and evgentest share it, so that a
// user's test checks exactly what the command checks.
package gencheck

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/evgenhq/evgen/schema"
	"github.com/evgenhq/evgen/templates"
)

// Flags are the parsed flags and arguments of evgen generate.
type Flags struct {
	Service     string
	Out         string
	OmitVersion bool
	Check       bool
	Paths       []string
}

// FlagSet defines the flags of evgen generate into f; cmd/evgen's help
// text documents each of them.
func FlagSet(f *Flags, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("generate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {}
	fs.StringVar(&f.Service, "service", "", "the service to generate")
	fs.StringVar(&f.Out, "out", "", "the directory of the generated package")
	fs.BoolVar(&f.OmitVersion, "omit-version", false, "leave evgen's version out of the header")
	fs.BoolVar(&f.Check, "check", false, "write nothing; report stale files and exit 1 if any")
	return fs
}

// Validate checks what the flag package cannot: -out and at least one
// contract path are required.
func (f Flags) Validate() error {
	switch {
	case f.Out == "":
		return errors.New("-out is required")
	case len(f.Paths) == 0:
		return errors.New("no contract paths given")
	}
	return nil
}

// PickService returns the service to generate: the one named, or the only
// one in the set.
func PickService(set *schema.Set, name string) (string, error) {
	var names []string
	for _, s := range set.Services {
		if s.Name == name {
			return name, nil
		}
		names = append(names, s.Name)
	}
	switch {
	case name != "":
		return "", fmt.Errorf("-service %s: no such service in the contract set (have %s)", name, strings.Join(names, ", "))
	case len(names) == 1:
		return names[0], nil
	}
	return "", fmt.Errorf("-service is required: the contract set has %d services (%s)", len(names), strings.Join(names, ", "))
}

// Problems lists, without writing, every file of dir that differs from
// files: stale, missing, or generated before and no longer. None means the
// package in dir is fresh.
func Problems(dir string, files []templates.File) []string {
	var problems []string
	for _, f := range files {
		path := filepath.Join(dir, f.Name)
		old, err := os.ReadFile(path)
		switch {
		case errors.Is(err, os.ErrNotExist):
			problems = append(problems, "missing: "+path)
		case err != nil:
			problems = append(problems, fmt.Sprintf("unreadable: %s: %v", path, err))
		case !bytes.Equal(old, f.Data):
			problems = append(problems, "stale: "+path)
		}
	}
	extra, err := StaleFiles(dir, files)
	if err != nil {
		problems = append(problems, err.Error())
	}
	for _, path := range extra {
		problems = append(problems, "no longer generated: "+path)
	}
	return problems
}

// StaleFiles lists the files in dir that evgen generated (their name ends
// in .evgen.go and they start with its header) and files does not hold.
func StaleFiles(dir string, files []templates.File) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read output directory: %w", err)
	}
	keep := map[string]bool{}
	for _, f := range files {
		keep[f.Name] = true
	}
	var stale []string
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), templates.Suffix) || keep[e.Name()] {
			continue
		}
		path := filepath.Join(dir, e.Name())
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		if bytes.HasPrefix(data, []byte(templates.HeaderPrefix)) {
			stale = append(stale, path)
		}
	}
	return stale, nil
}
