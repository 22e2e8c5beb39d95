package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/evgenhq/evgen/runtime/recovery"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/schema"
)

const dlqUsage = `usage: evgen dlq list|show|redrive|drop -service NAME [flags] [ID...]

Dlq works on the dead-letter queue of one service: the events its handlers
could not apply (after the retries) or could not decode.

  list      one line per dead letter: ID, when, type, key, attempts, reason
  show ID   one dead letter in full: headers, payload, and its fields
            decoded against the contracts
  redrive   send the selected dead letters back to the service's queue with
            their original event IDs, so the service's inbox applies each at
            most once; each leaves the dead-letter queue only after the
            broker confirmed its copy. It takes what the queue held when
            it started: one that fails again waits for the next redrive
  drop      delete the selected dead letters, after asking (see -yes)

redrive and drop need a selection: IDs as arguments, or -type, -reason,
-since, -until, or -all. list takes the same filters.

Flags:
  -service NAME      the service whose dead-letter queue to use (required)
  -amqp URL          RabbitMQ URL (env EVGEN_AMQP_URL; default amqp://guest:guest@127.0.0.1:5672/)
  -namespace PREFIX  prefix of the exchanges and queues: letters, digits, _ and -
                     (env EVGEN_NAMESPACE; default evgen)
  -contracts PATHS   comma-separated contract paths (as for evgen validate) to decode payloads with
  -type TYPE         only events of this type ("users.UserRegistered" or "UserRegistered")
  -reason TEXT       only events whose reason contains TEXT
  -since TIME        only events dead-lettered at or after TIME (RFC 3339, or a duration ago: 2h)
  -until TIME        only events dead-lettered before TIME
  -all               select every dead letter (redrive, drop)
  -yes               drop without asking

Exit status: 0 on success, 1 when the broker or a dead letter could not be
reached, 2 for a usage error.
`

// dlqFlags are the flags of evgen dlq.
type dlqFlags struct {
	service, amqp, namespace, contracts string
	typ, reason, since, until           string
	all, yes                            bool
}

// stdin is where drop reads its confirmation; tests replace it.
var stdin io.Reader = os.Stdin

func dlqFlagSet(f *dlqFlags, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("dlq", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {}
	fs.StringVar(&f.service, "service", "", "")
	fs.StringVar(&f.amqp, "amqp", envOr("EVGEN_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"), "")
	fs.StringVar(&f.namespace, "namespace", envOr("EVGEN_NAMESPACE", "evgen"), "")
	fs.StringVar(&f.contracts, "contracts", "", "")
	fs.StringVar(&f.typ, "type", "", "")
	fs.StringVar(&f.reason, "reason", "", "")
	fs.StringVar(&f.since, "since", "", "")
	fs.StringVar(&f.until, "until", "", "")
	fs.BoolVar(&f.all, "all", false, "")
	fs.BoolVar(&f.yes, "yes", false, "")
	return fs
}

func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

// dlqCommand is one parsed invocation.
type dlqCommand struct {
	action string
	flags  dlqFlags
	ids    []string
	filter recovery.DeadLetterFilter
	set    *schema.Set // nil without -contracts
}

// runDLQ is `evgen dlq`.
func runDLQ(args []string, stdout, stderr io.Writer) int {
	c, err := parseDLQ(args, stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, dlqUsage)
		return exitOK
	case err != nil:
		fmt.Fprintf(stderr, "evgen dlq: %v\nRun 'evgen dlq -help' for usage.\n", err)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	dl, err := recovery.OpenDeadLetters(c.flags.amqp, c.flags.namespace, c.flags.service)
	if err != nil {
		fmt.Fprintf(stderr, "evgen dlq: %v\n", err)
		return 1
	}
	defer dl.Close()
	if err := c.run(ctx, dl, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "evgen dlq: %v\n", err)
		return 1
	}
	return exitOK
}

// parseDLQ reads the action, flags and IDs, in any order after the action.
func parseDLQ(args []string, stderr io.Writer) (*dlqCommand, error) {
	if len(args) == 0 {
		return nil, errors.New("no action: want list, show, redrive or drop")
	}
	if h := args[0]; h == "-help" || h == "--help" || h == "-h" || h == "help" {
		return nil, flag.ErrHelp
	}
	c := &dlqCommand{action: args[0]}
	fs := dlqFlagSet(&c.flags, stderr)
	ids, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return nil, err
	}
	c.ids = ids
	if err := c.check(); err != nil {
		return nil, err
	}
	return c, c.load()
}

// check validates the action against the selection.
func (c *dlqCommand) check() error {
	f := c.flags
	switch {
	case c.action != "list" && c.action != "show" && c.action != "redrive" && c.action != "drop":
		return fmt.Errorf("unknown action %q: want list, show, redrive or drop", c.action)
	case f.service == "":
		return errors.New("-service is required")
	case service.CheckNamespace(f.namespace) != nil:
		return fmt.Errorf("-namespace: %w", service.CheckNamespace(f.namespace))
	case c.action == "show" && len(c.ids) != 1:
		return errors.New("show takes exactly one event ID")
	case c.action == "list" && len(c.ids) > 0:
		return errors.New("list takes no IDs; use show ID")
	case (c.action == "redrive" || c.action == "drop") && !f.all && len(c.ids) == 0 && f.typ == "" && f.reason == "" && f.since == "" && f.until == "":
		return fmt.Errorf("%s needs a selection: IDs, -type, -reason, -since, -until, or -all", c.action)
	}
	return nil
}

// load builds the filter and loads the contracts.
func (c *dlqCommand) load() error {
	c.filter = recovery.DeadLetterFilter{IDs: c.ids, Type: c.flags.typ, Reason: c.flags.reason}
	var err error
	if c.filter.Since, err = parseWhen(c.flags.since); err != nil {
		return fmt.Errorf("-since: %w", err)
	}
	if c.filter.Until, err = parseWhen(c.flags.until); err != nil {
		return fmt.Errorf("-until: %w", err)
	}
	if c.flags.contracts == "" {
		return nil
	}
	c.set, err = schema.Load(strings.Split(c.flags.contracts, ",")...)
	if err != nil {
		return fmt.Errorf("-contracts: %w", err)
	}
	return nil
}

// parseWhen reads an RFC 3339 time or a duration ago; "" is no bound.
func parseWhen(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return time.Now().Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time (2026-01-02T15:04:05Z) nor a duration ago (2h)", s)
}

// run performs the action.
func (c *dlqCommand) run(ctx context.Context, dl *recovery.DeadLetters, stdout, stderr io.Writer) error {
	switch c.action {
	case "list":
		ls, err := dl.List(ctx, c.filter)
		if err != nil {
			return err
		}
		for _, l := range ls {
			fmt.Fprintln(stdout, listLine(l, c.set))
		}
		fmt.Fprintf(stderr, "%d dead letters in %s\n", len(ls), dl.Queue())
	case "show":
		ls, err := dl.List(ctx, c.filter)
		if err != nil {
			return err
		}
		if len(ls) == 0 {
			return fmt.Errorf("no dead letter %s in %s", c.ids[0], dl.Queue())
		}
		showLetter(stdout, ls[0], c.set)
	case "redrive":
		n, err := dl.Redrive(ctx, c.filter)
		fmt.Fprintf(stdout, "redrove %d dead letters to the %s queue\n", n, c.flags.service)
		return err
	case "drop":
		return c.drop(ctx, dl, stdout)
	}
	return nil
}

// drop asks before deleting, unless -yes.
func (c *dlqCommand) drop(ctx context.Context, dl *recovery.DeadLetters, stdout io.Writer) error {
	ls, err := dl.List(ctx, c.filter)
	if err != nil {
		return err
	}
	if len(ls) == 0 {
		fmt.Fprintln(stdout, "no dead letter selected")
		return nil
	}
	if !c.flags.yes {
		fmt.Fprintf(stdout, "drop %d dead letters from %s for good? [y/N] ", len(ls), dl.Queue())
		answer, _ := bufio.NewReader(stdin).ReadString('\n')
		if a := strings.TrimSpace(strings.ToLower(answer)); a != "y" && a != "yes" {
			fmt.Fprintln(stdout, "nothing dropped")
			return nil
		}
	}
	// Drop exactly what was listed, even if more arrived meanwhile.
	ids := make([]string, len(ls))
	for i, l := range ls {
		ids[i] = l.ID
	}
	n, err := dl.Drop(ctx, recovery.DeadLetterFilter{IDs: ids})
	fmt.Fprintf(stdout, "dropped %d dead letters\n", n)
	return err
}
