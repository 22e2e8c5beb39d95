// Command demo tells the stories of evgen's example services, users and
// billing, in a terminal: each step in plain words, the state of both
// services after it, and a check that the state is what the words claim.
// It exits non-zero when a check fails.
//
// With RabbitMQ reachable it builds both services and runs each as its own
// process (really stopping and restarting billing's); without, it runs both
// in this process over the in-process transport. Either way it works in a
// fresh temporary directory and a fresh RabbitMQ namespace, and removes
// both at the end.
//
// With -transport nats://127.0.0.1:4222 it runs both as processes over NATS
// JetStream instead, and tells the stories that need no RabbitMQ (the
// catch-up from a stopped billing's durable consumer, and a brand-new
// billing's sync from users' stream, among them).
//
//	go run ./examples/demo [-inprocess | -broker | -transport nats://HOST:PORT] [-amqp URL] [-keep]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/evgenhq/evgen/examples/demo/cluster"
)

// defaultAMQPURL is the broker the project's machines and the services
// default to.
const defaultAMQPURL = "amqp://guest:guest@127.0.0.1:5672/"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
		return
	case errors.Is(err, context.Canceled):
		os.Exit(130) // interrupted; run already said so and cleaned up
	case err != nil:
		fmt.Fprintln(os.Stderr, "demo failed:", err)
		os.Exit(1)
	}
}

// run parses args and tells the stories to out.
func run(ctx context.Context, args []string, out io.Writer) (err error) {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	inProcess := fs.Bool("inprocess", false, "run both services in this process, without RabbitMQ, even when one is reachable")
	amqpURL := fs.String("amqp", env("EVGEN_AMQP_URL", defaultAMQPURL), "RabbitMQ `URL` (env EVGEN_AMQP_URL)")
	broker := fs.Bool("broker", false, "fail, instead of falling back to the in-process transport, when RabbitMQ is unreachable (CI uses it)")
	keep := fs.Bool("keep", false, "keep the temporary directory (databases and the services' logs)")
	transport := fs.String("transport", "", "run both services as processes over NATS JetStream at this nats:// `URL` instead of RabbitMQ")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *inProcess && *broker {
		return errors.New("-inprocess and -broker exclude each other")
	}
	if *transport != "" && (*inProcess || *broker) {
		return errors.New("-transport runs the services over NATS: it excludes -inprocess and -broker")
	}
	dir, err := os.MkdirTemp("", "evgen-demo-")
	if err != nil {
		return err
	}
	if *keep {
		defer fmt.Fprintf(out, "Databases and logs kept in %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	logFile, err := os.Create(filepath.Join(dir, "demo.log"))
	if err != nil {
		return err
	}
	defer logFile.Close()
	slog.SetDefault(slog.New(slog.NewTextHandler(logFile, nil)))

	opts := cluster.Options{
		Namespace: fmt.Sprintf("evgen-demo-%d", time.Now().UnixNano()),
		UsersDB:   filepath.Join(dir, "users.db"), BillingDB: filepath.Join(dir, "billing.db"),
		LogDir: dir, AMQPURL: *amqpURL, BinDir: filepath.Join(dir, "bin"), Transport: *transport,
	}
	fmt.Fprintln(out, "evgen demo: two services, users and billing, that share nothing but events.")
	if err := chooseMode(ctx, &opts, *inProcess, *broker, out); err != nil {
		return err
	}
	start := time.Now()
	c, err := cluster.Start(ctx, opts)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := c.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("clean up: %w", cerr)
		}
	}()
	d := &demo{c: c, out: out, mode: opts.Mode, nats: opts.Transport != ""}
	d.introduce(opts)
	if err := d.tell(ctx); err != nil {
		if ctx.Err() != nil {
			fmt.Fprintln(out, "\nInterrupted; stopping the services and cleaning up.")
			return ctx.Err()
		}
		fmt.Fprintf(out, "    ✗ %v\n", err)
		fmt.Fprintf(out, "\nbilling's log ends with:\n%s\nusers' log ends with:\n%s\n", c.LogTail("billing", 15), c.LogTail("users", 15))
		return errors.New("a step did not do what it claimed; see above")
	}
	fmt.Fprintf(out, "\n%s\n", d.summary(time.Since(start)))
	return nil
}

// chooseMode runs the services as processes over RabbitMQ when it answers
// (building them first), and in this process otherwise, unless the broker
// is required.
func chooseMode(ctx context.Context, opts *cluster.Options, inProcess, broker bool, out io.Writer) error {
	if opts.Transport != "" {
		if err := cluster.ReachableNATS(opts.Transport); err != nil {
			return fmt.Errorf("-transport: no NATS at %s: %w", opts.Transport, err)
		}
		fmt.Fprintf(out, "NATS answers at %s: building users and billing, to run each as its own process over JetStream...\n", opts.Transport)
		opts.Mode = cluster.Processes
		return cluster.Build(ctx, opts.BinDir)
	}
	if !inProcess {
		if err := cluster.Reachable(opts.AMQPURL); err != nil {
			if broker {
				return fmt.Errorf("-broker: no RabbitMQ at %s: %w", opts.AMQPURL, err)
			}
			fmt.Fprintf(out, "No RabbitMQ at %s (%v): running both services in this process, over the in-process transport.\n", opts.AMQPURL, err)
			inProcess = true
		}
	}
	if inProcess {
		opts.Mode = cluster.InProcess
		return nil
	}
	fmt.Fprintf(out, "RabbitMQ answers at %s: building users and billing, to run each as its own process...\n", opts.AMQPURL)
	opts.Mode = cluster.Processes
	return cluster.Build(ctx, opts.BinDir, cluster.SQLiteOnly) // the demo's databases are SQLite files
}

// env returns the environment variable name, or def when it is unset.
func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}
