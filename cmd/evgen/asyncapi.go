package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/evgenhq/evgen/schema"
	"github.com/evgenhq/evgen/templates/asyncapi"
)

const asyncapiUsage = `usage: evgen asyncapi [-service name] [-namespace ns] [-o file] path...

Asyncapi loads a contract set and writes the AsyncAPI 3.0 document (YAML)
of one service, for teams that integrate with it without evgen:

  channels    its exchange (<ns>.<service>, topic, durable), when it
              publishes; its queue (<ns>.<service>.queue) and dead-letter
              queue (<ns>.<service>.dlq), durable, when it consumes; with their
              AMQP bindings (0.3.0)
  operations  a send per event it publishes and a receive per event it
              consumes, each with its routing key <producer>.<Event>.v<N>
  messages    each event version, its payload as JSON Schema (the schemas
              evgen jsonschema writes) and the CloudEvents headers the
              runtime sets, as the trait "cloudEvents"

Paths are as for evgen validate; give the producers' contracts too. The
same contracts give the same bytes. docs/asyncapi.md explains the document.

Flags:
  -service name   the service to describe; may be left out when the set
                  holds exactly one service
  -namespace ns   the runtime's Config.Namespace (default "evgen")
  -o file         write the document to file instead of stdout

Exit status: 0 on success, 1 when the contracts are invalid (the problems
go to stderr), 2 for a usage error such as a bad flag, an unknown service
or a file that cannot be written.
`

// runAsyncAPI is evgen asyncapi.
func runAsyncAPI(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("asyncapi", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {}
	service := fs.String("service", "", "the service to describe")
	namespace := fs.String("namespace", "", "the runtime's namespace")
	out := fs.String("o", "", "the file to write; stdout when empty")
	if code, ok := parseFlags(fs, args, "asyncapi", asyncapiUsage, stdout, stderr); !ok {
		return code
	}
	set, code, ok := loadSet(fs.Args(), "asyncapi", stderr)
	if !ok {
		return code
	}
	name, err := pickService(set, *service)
	if err != nil {
		return commandError(stderr, "asyncapi", err)
	}
	doc, err := asyncapi.Generate(serviceNamed(set, name), asyncapi.Options{Namespace: *namespace})
	if err != nil {
		return commandError(stderr, "asyncapi", fmt.Errorf("-namespace: %w", err))
	}
	if *out == "" {
		_, err = stdout.Write(doc)
	} else {
		err = os.WriteFile(*out, doc, 0o644)
	}
	if err != nil {
		return commandError(stderr, "asyncapi", fmt.Errorf("write the document: %w", err))
	}
	return exitOK
}

// serviceNamed is the service of set called name, which pickService
// found.
func serviceNamed(set *schema.Set, name string) *schema.Service {
	for _, s := range set.Services {
		if s.Name == name {
			return s
		}
	}
	return nil
}
