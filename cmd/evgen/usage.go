package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/evgenhq/evgen/schema"
)

// parseFlags parses args for the command name; when ok is false the
// command ends with code: -help printed usage, or the flags were bad or
// no path was given.
func parseFlags(fs *flag.FlagSet, args []string, name, usage string, stdout, stderr io.Writer) (code int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage)
			return exitOK, false
		}
		return usageError(stderr, name, ""), false
	}
	if fs.NArg() == 0 {
		return usageError(stderr, name, "no contract paths given"), false
	}
	return exitOK, true
}

// loadSet loads the contracts at paths; when ok is false the command ends
// with code, the problems printed.
func loadSet(paths []string, name string, stderr io.Writer) (set *schema.Set, code int, ok bool) {
	set, err := schema.Load(paths...)
	var invalid *schema.Errors
	switch {
	case errors.As(err, &invalid):
		fmt.Fprintln(stderr, invalid.Error())
		return nil, exitInvalid, false
	case err != nil:
		return nil, commandError(stderr, name, err), false
	}
	return set, exitOK, true
}

// usageError prints msg, if any, and where to find the usage of command
// name, and returns the usage exit status.
func usageError(stderr io.Writer, name, msg string) int {
	if msg != "" {
		fmt.Fprintf(stderr, "evgen %s: %s\n", name, msg)
	}
	fmt.Fprintf(stderr, "Run 'evgen %s -help' for usage.\n", name)
	return exitUsage
}

// commandError prints err for command name and returns the usage exit
// status.
func commandError(stderr io.Writer, name string, err error) int {
	fmt.Fprintf(stderr, "evgen %s: %v\n", name, err)
	return exitUsage
}
