// Command users runs the users service of evgen's examples: user accounts
// over HTTP, every change published as an event, and billing's answers
// consumed from its own RabbitMQ queue. See docs/examples.md.
//
//	go run ./examples/users -http 127.0.0.1:8081 -db users.db
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

	"github.com/evgenhq/evgen/examples/internal/telemetry"
	"github.com/evgenhq/evgen/examples/transportflag"
	"github.com/evgenhq/evgen/examples/users/app"
)

func main() {
	if err := run(os.Args[1:]); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "users:", err)
		os.Exit(1)
	}
}

// run parses args, with environment variables as defaults, and runs the
// service until SIGINT or SIGTERM, which shut it down gracefully.
func run(args []string) error {
	var cfg app.Config
	fs := flag.NewFlagSet("users", flag.ContinueOnError)
	fs.StringVar(&cfg.HTTPAddr, "http", env("EVGEN_USERS_HTTP", "127.0.0.1:8081"), "`address` of the HTTP API (env EVGEN_USERS_HTTP)")
	fs.StringVar(&cfg.AMQPURL, "amqp", env("EVGEN_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"), "RabbitMQ `URLs`, comma-separated: one per node of a cluster (env EVGEN_AMQP_URL)")
	fs.StringVar((*string)(&cfg.QueueType), "queue-type", env("EVGEN_QUEUE_TYPE", "quorum"), "`type` of the service's queues: quorum, or classic for queues declared classic before (env EVGEN_QUEUE_TYPE)")
	fs.StringVar(&cfg.DB, "db", env("EVGEN_USERS_DB", "users.db"), "database: a SQLite file `path`, or a postgres:// URL (env EVGEN_USERS_DB)")
	fs.StringVar(&cfg.Namespace, "namespace", env("EVGEN_NAMESPACE", "evgen"), "`prefix` of the RabbitMQ exchanges and queues (env EVGEN_NAMESPACE)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage of %s:\n", fs.Name())
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), "\n"+telemetry.Help)
	}
	transport := fs.String("transport", env("EVGEN_TRANSPORT", ""), transportflag.Usage)
	fs.BoolVar(&cfg.PublisherUsers.Verify, "verify-publishers", env("EVGEN_VERIFY_PUBLISHERS", "") == "1", "dead-letter events not published by their producer's own broker user, named `-user-prefix` + service (env EVGEN_VERIFY_PUBLISHERS=1)")
	fs.StringVar(&cfg.PublisherUsers.Prefix, "user-prefix", env("EVGEN_USER_PREFIX", ""), "`prefix` of the producers' broker user names, as evgen topology -user-prefix (env EVGEN_USER_PREFIX)")
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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	tp, shutdown, err := telemetry.Setup(ctx, "users")
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
