package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/schema"
	"github.com/evgenhq/evgen/site"
)

const docsUsage = `usage: evgen docs -out dir [-namespace ns] path...

Docs loads a contract set and writes its catalog into dir: a static web
site that opens from the file system (open dir/index.html) and fetches
nothing from the network. It has an index of the services and events, a
page per service (what it publishes and consumes, and the RabbitMQ
exchanges, queues and dead-letter queue the runtime declares for it), and
a page per event (its fields with types and docs, key, version, snapshot,
producer and consumers, an example payload and its JSON Schema, also
written as event.<type>.schema.json). Every page draws the choreography
as an SVG picture: producers, events, consumers, each a link to its page.

Paths are as for evgen validate: files, directories, or dir/... .

The files are written into dir directly (it is created if needed); other
files there are left alone, so use a directory of its own.

Flags:
  -out dir        the directory of the site; required
  -namespace ns   the runtime's Config.Namespace, which prefixes the
                  exchange and queue names shown (default "evgen")

Exit status: 0 on success, 1 when the contracts are invalid (the problems
go to stderr) or dir cannot be written, 2 for a usage error such as a bad
flag or a missing file.
`

// runDocs is `evgen docs`.
func runDocs(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("docs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {}
	out := fs.String("out", "", "the directory of the site")
	namespace := fs.String("namespace", "evgen", "the namespace of exchange and queue names")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, docsUsage)
			return exitOK
		}
		return usageError(stderr, "docs", "")
	}
	switch {
	case *out == "":
		return usageError(stderr, "docs", "-out is required: the directory to write the site into")
	case fs.NArg() == 0:
		return usageError(stderr, "docs", "no contract paths given")
	}
	if err := service.CheckNamespace(*namespace); err != nil {
		return usageError(stderr, "docs", "-namespace: "+err.Error())
	}
	set, err := schema.Load(fs.Args()...)
	var invalid *schema.Errors
	switch {
	case errors.As(err, &invalid):
		fmt.Fprintln(stderr, invalid.Error())
		return exitInvalid
	case err != nil:
		fmt.Fprintf(stderr, "evgen docs: %v\n", err)
		return exitUsage
	}
	files, err := site.Generate(set, site.Options{Namespace: *namespace})
	if err != nil {
		fmt.Fprintf(stderr, "evgen docs: %v\n", err)
		return exitInvalid
	}
	if err := writeSite(*out, files); err != nil {
		fmt.Fprintf(stderr, "evgen docs: %v\n", err)
		return exitInvalid
	}
	fmt.Fprintf(stdout, "wrote %s: %s\n", filepath.Join(*out, "index.html"), plural(len(files), "file"))
	return exitOK
}

// writeSite writes every file of the site into dir, in name order.
func writeSite(dir string, files map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("-out %s: cannot create the directory: %w", dir, err)
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if err := writeFile(filepath.Join(dir, name), files[name]); err != nil {
			return err
		}
	}
	return nil
}
