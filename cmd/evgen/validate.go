package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/evgenhq/evgen/schema"
)

const validateUsage = `usage: evgen validate [-help] path...

Validate loads a contract set and reports every problem in it, one a line
as path:line:col: message, sorted by file and position.

A path is a contract file, a directory (its *.yaml and *.yml files), or
dir/... (every contract file below dir, skipping testdata and directories
starting with . or _). All files are checked together: consumes entries
must name services and events of the set.

Exit status: 0 when the set is valid (a summary goes to stdout), 1 when it
is not (the problems go to stderr), 2 for a usage error such as a bad flag
or a missing file.
`

// runValidate is `evgen validate`.
func runValidate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, validateUsage)
			return exitOK
		}
		fmt.Fprintln(stderr, "Run 'evgen validate -help' for usage.")
		return exitUsage
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "evgen validate: no contract paths given")
		fmt.Fprintln(stderr, "Run 'evgen validate -help' for usage.")
		return exitUsage
	}
	set, err := schema.Load(fs.Args()...)
	var invalid *schema.Errors
	switch {
	case errors.As(err, &invalid):
		fmt.Fprintln(stderr, invalid.Error())
		return exitInvalid
	case err != nil:
		fmt.Fprintf(stderr, "evgen validate: %v\n", err)
		return exitUsage
	}
	fmt.Fprintln(stdout, summary(set))
	return exitOK
}

// summary counts what a valid set holds: "ok: 2 services, 11 events".
func summary(set *schema.Set) string {
	events := 0
	for _, s := range set.Services {
		events += len(s.Events)
	}
	return fmt.Sprintf("ok: %s, %s", plural(len(set.Services), "service"), plural(events, "event"))
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
