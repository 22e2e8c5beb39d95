package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/topology"
)

const topologyUsage = `usage: evgen topology [-namespace ns] [-format text|json|rabbitmq] [-vhost v] [-user-prefix p] [-queue-type quorum|classic] [-old-queues] [-operator user] path...

Topology prints, for each service of a contract set, the exchanges,
queues (its queue, dead-letter queue and resync queue), bindings and event
log (a stream) the runtime declares for it at start-up, and the
permissions of a broker user per service: the configure, write and read
regular expressions RabbitMQ checks, covering exactly the names the
service needs, each with the reasons why.

Formats:
  text      for people (the default)
  json      the same, for programs, with each queue's arguments
  rabbitmq  a definitions document for 'rabbitmqctl import_definitions':
            the vhost, a user per service WITHOUT a password (set one with
            'rabbitmqctl change_password USER PASSWORD' after each import:
            importing again blanks it), its permissions, and the
            exchanges, queues and bindings

Paths are as for evgen validate; give every service's contract. The same
contracts give the same bytes. docs/other-languages.md explains the names
and the permissions.

Flags:
  -namespace ns    the services' runtime Config.Namespace (default "evgen")
  -format f        text (default), json or rabbitmq
  -vhost v         the vhost of the definitions (default "/")
  -user-prefix p   put p before each service's name to make its user
  -queue-type t    the services' Config.QueueType: quorum (default) or
                   classic
  -old-queues      also grant each consuming service what moving the
                   queue of a version before evgen named it
                   <namespace>.<service>.queue takes (every right on
                   <namespace>.<service>); for the upgrade only: see
                   docs/recovery.md
  -operator user   also define the broker user evgen dlq runs as: it
                   reads every dead-letter queue and, tagged
                   impersonator, redrives each event with its
                   publisher's user-id

Exit status: 0 on success, 1 when the contracts are invalid (the problems
go to stderr), 2 for a usage error such as a bad flag or namespace.
`

// topologyFormats are the -format values.
var topologyFormats = map[string]func(services []topology.Service, vhost string, ops ...topology.Operator) ([]byte, error){
	"text": func(s []topology.Service, _ string, ops ...topology.Operator) ([]byte, error) {
		return []byte(topology.Text(s, ops...)), nil
	},
	"json": func(s []topology.Service, _ string, ops ...topology.Operator) ([]byte, error) {
		return topology.JSON(s, ops...)
	},
	"rabbitmq": topology.Definitions,
}

// runTopology is evgen topology.
func runTopology(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("topology", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {}
	var opts topology.Options
	fs.StringVar(&opts.Namespace, "namespace", "", "the runtime's namespace")
	format := fs.String("format", "text", "text, json or rabbitmq")
	vhost := fs.String("vhost", "/", "the vhost of the definitions")
	fs.StringVar(&opts.UserPrefix, "user-prefix", "", "put before each service's name to make its user")
	fs.StringVar((*string)(&opts.QueueType), "queue-type", string(service.QuorumQueue), "quorum or classic")
	fs.BoolVar(&opts.OldQueues, "old-queues", false, "grant what moving an older version's queue takes")
	operator := fs.String("operator", "", "also define this broker user for evgen dlq")
	if code, ok := parseFlags(fs, args, "topology", topologyUsage, stdout, stderr); !ok {
		return code
	}
	render, ok := topologyFormats[*format]
	if !ok {
		return usageError(stderr, "topology", fmt.Sprintf("unknown -format %q: want text, json or rabbitmq", *format))
	}
	set, code, ok := loadSet(fs.Args(), "topology", stderr)
	if !ok {
		return code
	}
	services, err := topology.Build(set, opts)
	if err != nil {
		return commandError(stderr, "topology", err)
	}
	var ops []topology.Operator
	if *operator != "" {
		for _, s := range services {
			// Two users of one name in the definitions: the import keeps
			// the last, and the service's user would become the operator,
			// tagged impersonator.
			if s.User == *operator {
				return usageError(stderr, "topology", fmt.Sprintf("-operator %q is the broker user of service %s: name the operator apart from every service's user", *operator, s.Name))
			}
		}
		ops = append(ops, topology.NewOperator(services, *operator))
	}
	out, err := render(services, *vhost, ops...)
	if err == nil {
		_, err = stdout.Write(out)
	}
	if err != nil {
		return commandError(stderr, "topology", fmt.Errorf("write the topology: %w", err))
	}
	return exitOK
}
