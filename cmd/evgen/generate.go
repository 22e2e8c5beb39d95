package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/evgenhq/evgen/internal/gencheck"
	"github.com/evgenhq/evgen/schema"
	"github.com/evgenhq/evgen/templates"
)

const generateUsage = `usage: evgen generate [-service name] -out dir [-omit-version] [-check] path...

Generate loads a contract set and writes the typed Go package of one
service into dir: its own events and the events it consumes (types.evgen.go,
over the runtime/wire package), a Publisher (publisher.evgen.go, when the service
publishes), a Handlers interface (handlers.evgen.go, when it consumes),
SnapshotSource and RegisterSnapshots (snapshot.evgen.go, when it publishes
snapshot events), a SyncFrom<Producer> function per producer
(sync.evgen.go, when it consumes), and its Contract (contract.evgen.go). The package name is the last element of
the contract's go_package, else <service>events.

Paths are as for evgen validate: files, directories, or dir/... . Give the
producers' contracts too: consumed event types are generated from them.
Each file's header names the service's contract path as given, so run
evgen from the same directory every time (go:generate does).

Files named *.evgen.go in dir that start with evgen's header and are no
longer generated are removed; no other file in dir is touched.

Flags:
  -service name   the service to generate; may be left out when the set
                  holds exactly one service
  -out dir        the directory of the generated package, created if needed
  -omit-version   leave evgen's version out of the header, so that the
                  output does not change with evgen releases
  -check          write nothing; list the files that are stale, missing
                  or no longer generated, and exit 1 if there are any

Exit status: 0 on success (with -check: the files are fresh), 1 when the
contracts are invalid (the problems go to stderr) or -check finds stale
files, 2 for a usage error such as a bad flag, a missing file or an
unknown service.
`

// generateFlags are the parsed flags of evgen generate; evgentest parses
// go:generate lines with the same flag set.
type generateFlags = gencheck.Flags

// runGenerate is `evgen generate`.
func runGenerate(args []string, stdout, stderr io.Writer) int {
	gf, code, ok := parseGenerate(args, stdout, stderr)
	if !ok {
		return code
	}
	set, err := schema.Load(gf.Paths...)
	var invalid *schema.Errors
	switch {
	case errors.As(err, &invalid):
		fmt.Fprintln(stderr, invalid.Error())
		return exitInvalid
	case err != nil:
		fmt.Fprintf(stderr, "evgen generate: %v\n", err)
		return exitUsage
	}
	service, err := pickService(set, gf.Service)
	if err != nil {
		fmt.Fprintf(stderr, "evgen generate: %v\n", err)
		return exitUsage
	}
	files, err := templates.Generate(set, service, templates.Options{OmitVersion: gf.OmitVersion})
	if err != nil {
		fmt.Fprintf(stderr, "evgen generate: %v\n", err)
		return exitInvalid
	}
	if gf.Check {
		return checkFresh(gf.Out, files, stderr)
	}
	if err := writePackage(gf.Out, files); err != nil {
		fmt.Fprintf(stderr, "evgen generate: %v\n", err)
		return exitInvalid
	}
	return exitOK
}

// parseGenerate parses the flags; when ok is false the command ends with
// code.
func parseGenerate(args []string, stdout, stderr io.Writer) (gf generateFlags, code int, ok bool) {
	fs := generateFlagSet(&gf, stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, generateUsage)
			return gf, exitOK, false
		}
		return gf, usageError(stderr, "generate", ""), false
	}
	gf.Paths = fs.Args()
	if err := gf.Validate(); err != nil {
		return gf, usageError(stderr, "generate", err.Error()), false
	}
	return gf, exitOK, true
}

// generateFlagSet defines the flags of evgen generate into gf; the help
// text generateUsage documents each of them.
func generateFlagSet(gf *generateFlags, stderr io.Writer) *flag.FlagSet {
	return gencheck.FlagSet(gf, stderr)
}

// pickService returns the service to generate: the one named, or the only
// one in the set.
func pickService(set *schema.Set, name string) (string, error) {
	return gencheck.PickService(set, name)
}

// checkFresh reports, without writing, every file of dir that differs from
// files: stale, missing, or generated before and no longer.
func checkFresh(dir string, files []templates.File, stderr io.Writer) int {
	problems := gencheck.Problems(dir, files)
	for _, p := range problems {
		fmt.Fprintln(stderr, p)
	}
	if len(problems) > 0 {
		fmt.Fprintln(stderr, "evgen generate -check: generated code is not fresh; run go generate ./...")
		return exitInvalid
	}
	return exitOK
}

// writePackage writes files into dir, leaving unchanged files untouched,
// and removes the files evgen generated there before and no longer does.
func writePackage(dir string, files []templates.File) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create output directory: %w", err)
	}
	for _, f := range files {
		if err := writeFile(filepath.Join(dir, f.Name), f.Data); err != nil {
			return err
		}
	}
	extra, err := gencheck.StaleFiles(dir, files)
	if err != nil {
		return err
	}
	for _, path := range extra {
		if err := os.Remove(path); err != nil {
			return fmt.Errorf("remove stale file: %w", err)
		}
	}
	return nil
}

// writeFile replaces path with data through a temporary file, so that a
// failed run never leaves half a file; an unchanged file is not rewritten.
func writeFile(path string, data []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".evgen-*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
