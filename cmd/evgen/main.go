// Command evgen checks event contracts and generates typed Go packages
// from them. Run `evgen help` for the list of subcommands.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/evgenhq/evgen/internal/version"
)

// command is one subcommand: run gets the arguments after its name and
// returns the exit status (0 ok, 1 invalid contracts, 2 usage error).
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

// commands lists the subcommands in the order help shows them. Adding a
// subcommand is one row here and one file with its run function.
var commands = []command{
	{"validate", "check a contract set and report every problem", runValidate},
	{"generate", "write the typed Go package of a service", runGenerate},
	{"breaking", "report the changes of a contract set that break its consumers", runBreaking},
	{"graph", "print the choreography of a contract set as a Mermaid or DOT graph", runGraph},
	{"asyncapi", "write the AsyncAPI 3.0 document of a service", runAsyncAPI},
	{"jsonschema", "write the JSON Schema of each event version's payload", runJSONSchema},
	{"topology", "print the RabbitMQ topology and broker permissions of each service", runTopology},
	{"docs", "write the catalog of a contract set: a static web site", runDocs},
	{"dlq", "list, show, redrive or drop a service's dead-lettered events", runDLQ},
	{"outbox", "list, retry or drop the outbox events a service's relay set aside", runOutbox},
	{"version", "print the evgen version", runVersion},
}

// Exit statuses shared by the subcommands.
const (
	exitOK      = 0
	exitInvalid = 1
	exitUsage   = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches to a subcommand; it is main without the process, for tests.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		return runHelp(args[1:], stdout, stderr)
	case "-version", "--version":
		return runVersion(args[1:], stdout, stderr)
	}
	if c := lookup(args[0]); c != nil {
		return c.run(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "evgen: unknown command %q\n", args[0])
	fmt.Fprintln(stderr, "Run 'evgen help' for the list of commands.")
	return exitUsage
}

func lookup(name string) *command {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

// runHelp prints the overview, or a subcommand's help: `evgen help validate`.
func runHelp(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stdout)
		return exitOK
	}
	if c := lookup(args[0]); c != nil {
		return c.run([]string{"-help"}, stdout, stderr)
	}
	fmt.Fprintf(stderr, "evgen help: unknown command %q\n", args[0])
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprint(w, `evgen checks event contracts (YAML, one per service) and generates typed Go
packages from them, for services that choreograph over RabbitMQ.

Usage:

	evgen <command> [arguments]

Commands:

`)
	for _, c := range commands {
		fmt.Fprintf(w, "\t%-10s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Run 'evgen help <command>' or 'evgen <command> -help' for more about a command.
The contract format is described in docs/contracts.md.
`)
}

// runVersion prints the version.
func runVersion(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] != "-help" && args[0] != "--help" && args[0] != "-h" {
		fmt.Fprintln(stderr, "evgen version: takes no arguments")
		return exitUsage
	}
	if len(args) > 0 {
		fmt.Fprintln(stdout, "usage: evgen version\n\nPrints the evgen version.")
		return exitOK
	}
	fmt.Fprintf(stdout, "evgen %s\n", version.Version)
	return exitOK
}
