package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/evgenhq/evgen/choreo"
	"github.com/evgenhq/evgen/schema"
)

const graphUsage = `usage: evgen graph [-format mermaid|dot] [-service NAME] path...

Graph prints the choreography of a contract set: each service, the events
it publishes, the services that consume each event, and the reactions the
contracts declare (emits: on a consumes entry), so that a saga reads as a
chain of events with its compensations.

Mermaid (the default) renders in a GitHub ` + "```mermaid" + ` block; DOT is for
Graphviz (dot -Tsvg). Solid arrows: a service publishes an event. Dotted
(dashed): a service consumes it. Thick (bold), labelled reacts: the
consumer publishes that event when it handles this one.

Paths are as for evgen validate. The output depends only on the contracts.

Flags:
  -format f       mermaid (default) or dot
  -service NAME   only NAME's neighbourhood: its events, the events it
                  consumes, the services on the other end, and the edges
                  among them

Exit status: 0 when the graph was printed, 1 when the contract set is
invalid (its problems go to stderr), 2 for a usage error such as a bad
flag, a missing file or an unknown service.
`

// renderers are the -format values.
var renderers = map[string]func(*choreo.Graph) string{
	"mermaid": choreo.Mermaid,
	"dot":     choreo.DOT,
}

// runGraph is ` + "`evgen graph`" + `.
func runGraph(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("graph", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {}
	format := fs.String("format", "mermaid", "mermaid or dot")
	service := fs.String("service", "", "only this service's neighbourhood")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, graphUsage)
			return exitOK
		}
		return usageError(stderr, "graph", "")
	}
	render, ok := renderers[*format]
	switch {
	case !ok:
		return usageError(stderr, "graph", fmt.Sprintf("unknown -format %q: want mermaid or dot", *format))
	case fs.NArg() == 0:
		return usageError(stderr, "graph", "no contract paths given")
	}
	set, err := schema.Load(fs.Args()...)
	var invalid *schema.Errors
	switch {
	case errors.As(err, &invalid):
		fmt.Fprintln(stderr, invalid.Error())
		return exitInvalid
	case err != nil:
		fmt.Fprintf(stderr, "evgen graph: %v\n", err)
		return exitUsage
	}
	g := choreo.FromSet(set)
	if *service != "" {
		if g, err = g.Focus(*service); err != nil {
			fmt.Fprintf(stderr, "evgen graph: -service: %v\n", err)
			return exitUsage
		}
	}
	fmt.Fprint(stdout, render(g))
	return exitOK
}
