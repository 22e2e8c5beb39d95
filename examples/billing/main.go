// Command billing runs the billing service of evgen's examples: its own
// copy of each user kept from users' events (consumed from its own
// RabbitMQ queue), invoices and payments over HTTP, each published as an
// event. See docs/examples.md.
//
//	go run ./examples/billing -http 127.0.0.1:8082 -db billing.db
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/evgenhq/evgen/examples/billing/app"
	"github.com/evgenhq/evgen/examples/internal/telemetry"
	"github.com/evgenhq/evgen/examples/transportflag"
	"github.com/evgenhq/evgen/runtime/service"
)

func main() {
	if err := run(os.Args[1:]); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "billing:", err)
		os.Exit(1)
	}
}

// run parses args, with environment variables as defaults, and runs the
// service until SIGINT or SIGTERM, which shut it down gracefully.
func run(args []string) error {
	var cfg app.Config
	fs := flag.NewFlagSet("billing", flag.ContinueOnError)
	fs.StringVar(&cfg.HTTPAddr, "http", env("EVGEN_BILLING_HTTP", "127.0.0.1:8082"), "`address` of the HTTP API (env EVGEN_BILLING_HTTP)")
	fs.StringVar(&cfg.AMQPURL, "amqp", env("EVGEN_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"), "RabbitMQ `URLs`, comma-separated: one per node of a cluster (env EVGEN_AMQP_URL)")
	fs.StringVar((*string)(&cfg.QueueType), "queue-type", env("EVGEN_QUEUE_TYPE", "quorum"), "`type` of the service's queues: quorum, or classic for queues declared classic before (env EVGEN_QUEUE_TYPE)")
	fs.StringVar(&cfg.DB, "db", env("EVGEN_BILLING_DB", "billing.db"), "database: a SQLite file `path`, or a postgres:// URL (env EVGEN_BILLING_DB)")
	fs.StringVar(&cfg.Namespace, "namespace", env("EVGEN_NAMESPACE", "evgen"), "`prefix` of the RabbitMQ exchanges and queues (env EVGEN_NAMESPACE)")
	fs.BoolVar(&cfg.PublisherUsers.Verify, "verify-publishers", env("EVGEN_VERIFY_PUBLISHERS", "") == "1", "dead-letter events not published by their producer's own broker user, named `-user-prefix` + service (env EVGEN_VERIFY_PUBLISHERS=1)")
	fs.StringVar(&cfg.PublisherUsers.Prefix, "user-prefix", env("EVGEN_USER_PREFIX", ""), "`prefix` of the producers' broker user names, as evgen topology -user-prefix (env EVGEN_USER_PREFIX)")
	fs.StringVar(&cfg.SyncFrom, "sync-from", env("EVGEN_BILLING_SYNC_FROM", ""), "catch up from users' event log at start: `start`, a time (RFC 3339), a duration ago (2h) or an offset; resumes where an interrupted sync stopped (env EVGEN_BILLING_SYNC_FROM)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage of %s:\n", fs.Name())
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), "\n"+telemetry.Help)
	}
	transport := fs.String("transport", env("EVGEN_TRANSPORT", ""), transportflag.Usage)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q; see -help", fs.Args())
	}
	var err error
	if cfg.Transport, err = transportflag.Parse(*transport); err != nil {
		return err
	}
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	if fi, err := os.Stderr.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		cfg.SyncProgress = service.ProgressBar(os.Stderr) // a person is watching
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	tp, shutdown, err := telemetry.Setup(ctx, "billing")
	if err != nil {
		return err
	}
	defer flush(shutdown, cfg.Logger)
	cfg.TracerProvider = tp
	return app.Run(ctx, cfg)
}

// flush sends the spans still buffered before the process exits.
func flush(shutdown func(context.Context) error, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := shutdown(ctx); err != nil {
		log.Warn("flush traces", "err", err)
	}
}

// env returns the environment variable name, or def when it is unset.
func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}
