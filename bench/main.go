// Command bench measures evgen against raw amqp091-go and hand-written
// Watermill on the same RabbitMQ and PostgreSQL, in one run: publish and
// consume throughput, publish-to-committed latency and generator speed.
// Each case runs -repeat times; the table shows the median, its ratio to
// the case's ceiling and the targets of the benchmark issue.
//
//	go run ./bench                      # every case, defaults
//	go run ./bench -cases 'publish-*' -events 20000 -json bench.json
//	go run ./bench -list
//
// docs/benchmarks.md explains the cases and the numbers.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"text/tabwriter"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main with its exit code: 0 when every case ran (a missed target
// is a result, not a failure), 1 when a case failed, 2 for bad flags.
func run(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args)
	switch {
	case errors.Is(err, errList):
		if err := listCases(stdout); err != nil {
			fmt.Fprintln(stderr, "bench:", err)
			return 1
		}
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case err != nil:
		fmt.Fprintln(stderr, "bench:", err)
		return 2
	}
	cases, err := selectCases(allCases(), cfg.Cases)
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 2
	}

	// The first Ctrl-C cancels the run in progress, which deletes its
	// queues and tables; a second one kills the process.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop()
	}()

	started := time.Now()
	m := describeMachine()
	fmt.Fprintf(stderr, "bench: %d cases x %d runs on %d CPUs (load %s)\n", len(cases), cfg.Repeat, m.CPUs, m.Load)
	e := newEnv(cfg, stderr)
	defer e.close()
	stopProfile, err := startCPUProfile(cfg.CPUProfile)
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 2
	}
	reports := runCases(ctx, e, cases)
	if err := stopProfile(); err != nil {
		fmt.Fprintln(stderr, "bench:", err)
	}

	code := 0
	if err := printTable(stdout, reports); err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		code = 1
	}
	if cfg.JSON != "" {
		if err := writeJSON(cfg.JSON, started, m, cfg, reports); err != nil {
			fmt.Fprintln(stderr, "bench:", err)
			code = 1
		}
	}
	for _, r := range reports {
		if r.Error != "" {
			code = 1
		}
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "bench: interrupted; the table holds the cases that finished")
		code = 1
	}
	return code
}

// startCPUProfile profiles the process into path until the returned
// function is called; "" profiles nothing.
func startCPUProfile(path string) (stop func() error, err error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create CPU profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		return nil, errors.Join(fmt.Errorf("start CPU profile: %w", err), f.Close())
	}
	return func() error {
		pprof.StopCPUProfile()
		return f.Close()
	}, nil
}

func listCases(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range allCases() {
		fmt.Fprintf(tw, "%s\t%s\n", c.Name, c.About)
	}
	return tw.Flush()
}
