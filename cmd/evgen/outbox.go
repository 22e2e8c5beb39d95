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

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/store"
	"github.com/evgenhq/evgen/runtime/store/open"
	_ "github.com/evgenhq/evgen/runtime/store/postgres" // -db: postgres:// URLs
	_ "github.com/evgenhq/evgen/runtime/store/sqlite"   // -db: SQLite file paths
)

const outboxUsage = `usage: evgen outbox list|retry|drop -db DSN [flags] [ID...]

Outbox works on the outbox rows a service's relay set aside: events it can
never send (outside the service's contract, metadata the broker marshaler
rejects, unroutable while the event log is disabled). The relay goes on
with the later events; these wait in the store's set-aside table, each
with its reason, counted in evgen_outbox_set_aside_total.

  list    one line per set-aside row: ID, when, type, key, reason
  retry   put the selected rows back in the outbox, after every event
          committed before the retry, in the order given; the service's
          running relay sends them (fix the cause first, or they are set
          aside again)
  drop    delete the selected rows for good, after asking (see -yes)

retry and drop need a selection: event IDs as arguments, or -all. An ID
that is not set aside fails the command, and nothing changes.

Flags:
  -db DSN            the service's store, as its -db flag names it: a
                     postgres:// URL or a SQLite file path (required)
  -table-prefix P    prefix of the store's tables (default evgen_)
  -all               select every set-aside row (retry, drop)
  -yes               drop without asking

Exit status: 0 on success, 1 when the store or a row could not be reached,
2 for a usage error.
`

// outboxFlags are the flags of evgen outbox.
type outboxFlags struct {
	db, tablePrefix string
	all, yes        bool
}

func outboxFlagSet(f *outboxFlags, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("outbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {}
	fs.StringVar(&f.db, "db", "", "")
	fs.StringVar(&f.tablePrefix, "table-prefix", "", "")
	fs.BoolVar(&f.all, "all", false, "")
	fs.BoolVar(&f.yes, "yes", false, "")
	return fs
}

// outboxCommand is one parsed invocation.
type outboxCommand struct {
	action string
	flags  outboxFlags
	ids    []string
}

// runOutbox is `evgen outbox`.
func runOutbox(args []string, stdout, stderr io.Writer) int {
	c, err := parseOutbox(args, stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, outboxUsage)
		return exitOK
	case err != nil:
		fmt.Fprintf(stderr, "evgen outbox: %v\nRun 'evgen outbox -help' for usage.\n", err)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := c.open(ctx, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "evgen outbox: %v\n", err)
		return 1
	}
	return exitOK
}

// parseOutbox reads the action, flags and IDs, in any order after the
// action.
func parseOutbox(args []string, stderr io.Writer) (*outboxCommand, error) {
	if len(args) == 0 {
		return nil, errors.New("no action: want list, retry or drop")
	}
	if h := args[0]; h == "-help" || h == "--help" || h == "-h" || h == "help" {
		return nil, flag.ErrHelp
	}
	c := &outboxCommand{action: args[0]}
	fs := outboxFlagSet(&c.flags, stderr)
	ids, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return nil, err
	}
	c.ids = ids
	return c, c.check()
}

// check validates the action against the selection.
func (c *outboxCommand) check() error {
	switch {
	case c.action != "list" && c.action != "retry" && c.action != "drop":
		return fmt.Errorf("unknown action %q: want list, retry or drop", c.action)
	case c.flags.db == "":
		return errors.New("-db is required: the service's postgres:// URL or SQLite file path")
	case c.action == "list" && (len(c.ids) > 0 || c.flags.all):
		return errors.New("list takes no IDs and no -all: it lists every set-aside row")
	case c.action != "list" && !c.flags.all && len(c.ids) == 0:
		return fmt.Errorf("%s needs a selection: event IDs, or -all", c.action)
	case c.flags.all && len(c.ids) > 0:
		return errors.New("give event IDs or -all, not both")
	}
	return nil
}

// open opens the store and runs the action on it.
func (c *outboxCommand) open(ctx context.Context, stdout, stderr io.Writer) error {
	if err := checkSQLitePath(c.flags.db); err != nil {
		return err
	}
	st, err := open.Open(ctx, c.flags.db, open.WithTablePrefix(c.flags.tablePrefix))
	if err != nil {
		return err
	}
	defer st.DB().Close()
	rows, ok := st.(store.SetAsideOutbox)
	if !ok {
		return fmt.Errorf("the %T store keeps no set-aside outbox rows", st)
	}
	return c.run(ctx, rows, stdout, stderr)
}

// checkSQLitePath refuses a SQLite path with no file, which opening would
// create: a mistyped path would list an empty, new store.
func checkSQLitePath(dsn string) error {
	if strings.Contains(dsn, "://") {
		return nil
	}
	if _, err := os.Stat(dsn); err != nil {
		return fmt.Errorf("-db %s: no SQLite database there (%v); give the service's database file or its postgres:// URL", dsn, err)
	}
	return nil
}

// run performs the action.
func (c *outboxCommand) run(ctx context.Context, o store.SetAsideOutbox, stdout, stderr io.Writer) error {
	rows, err := o.ListSetAside(ctx)
	if err != nil {
		return err
	}
	switch c.action {
	case "list":
		for _, r := range rows {
			fmt.Fprintln(stdout, setAsideLine(r))
		}
		fmt.Fprintf(stderr, "%d set-aside outbox rows\n", len(rows))
		return nil
	case "retry":
		n, err := o.RetrySetAside(ctx, c.selected(rows)...)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "put %d events back in the outbox, after the events already there\n", n)
		return nil
	}
	return c.drop(ctx, o, c.selected(rows), stdout)
}

// selected is the IDs given, or with -all every row listed.
func (c *outboxCommand) selected(rows []store.SetAsideRow) []string {
	if !c.flags.all {
		return c.ids
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	return ids
}

// drop asks before deleting, unless -yes.
func (c *outboxCommand) drop(ctx context.Context, o store.SetAsideOutbox, ids []string, stdout io.Writer) error {
	if len(ids) == 0 {
		fmt.Fprintln(stdout, "no set-aside row selected")
		return nil
	}
	if !c.flags.yes {
		fmt.Fprintf(stdout, "drop %d set-aside outbox events for good? [y/N] ", len(ids))
		answer, _ := bufio.NewReader(stdin).ReadString('\n')
		if a := strings.TrimSpace(strings.ToLower(answer)); a != "y" && a != "yes" {
			fmt.Fprintln(stdout, "nothing dropped")
			return nil
		}
	}
	n, err := o.DropSetAside(ctx, ids...)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "dropped %d set-aside events\n", n)
	return nil
}

// setAsideLine is one set-aside row on one line.
func setAsideLine(r store.SetAsideRow) string {
	return fmt.Sprintf("%s  %s  %s v%d  key=%s  reason=%q",
		r.ID, r.At.UTC().Format(time.RFC3339), r.Type(), r.Version(), r.Metadata.Get(runtime.HeaderSubject), oneLine(r.Reason, 120))
}
