package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/evgenhq/evgen/examples/demo/cluster"
)

// pipelineHTTP times the example services as a user runs them: users and
// billing as two processes (built once per benchmark process, as the
// end-to-end tests build them), each over a PostgreSQL schema of its own
// and RabbitMQ; -concurrency clients register users over users' HTTP API,
// one event each, which users writes through its outbox and billing
// applies through its inbox. The clock runs from the first request to
// billing's metrics counting the last UserRegistered applied; the JSON
// also has the rate users accepted the writes at (accepted_per_s).
func pipelineHTTP(ctx context.Context, e *env) (res result, err error) {
	bin, err := e.exampleBinaries(ctx)
	if err != nil {
		return res, err
	}
	c, err := e.startExamples(ctx, bin)
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, c.close()) }()
	n := e.cfg.Events
	prefix := uniqueName("http")
	start := time.Now()
	writing, err := inParallel(ctx, n, e.cfg.Concurrency, func(ctx context.Context, i int) error {
		_, err := c.Users.Register(ctx, fmt.Sprintf("%s-%d@example.com", prefix, i), "Bench", "pro")
		return err
	})
	if err != nil {
		return res, fmt.Errorf("register over HTTP: %w", err)
	}
	applied := func(ctx context.Context) (float64, bool, error) {
		v, err := c.Billing.Counter(ctx, "evgen_events_consumed_total", map[string]string{"type": "users.UserRegistered"})
		return v, v >= float64(n), err
	}
	got, err := cluster.Await(ctx, time.Minute, "billing to apply every registration", applied)
	if err != nil {
		return res, err
	}
	if got != float64(n) {
		return res, fmt.Errorf("billing applied %v registrations, want %d", got, n)
	}
	res = throughput(n, time.Since(start))
	res.Extra = map[string]int64{"accepted_per_s": int64(float64(n) / writing.Seconds())}
	return res, nil
}

// exampleBinaries builds the users and billing commands once per process
// into a temporary directory, removed by env.close. The build is not
// timed; it needs the go command and this module's source (run the
// benchmark from the module).
func (e *env) exampleBinaries(ctx context.Context) (string, error) {
	e.binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "evgen-bench-bin-")
		if err == nil {
			e.binDir = dir
			err = cluster.Build(ctx, dir)
		}
		e.binErr = err
	})
	return e.binDir, e.binErr
}

// examples is a running pair of example services and what to remove
// after them.
type examples struct {
	*cluster.Cluster
	close func() error
}

// startExamples starts users and billing as processes in a namespace and
// PostgreSQL schemas of their own.
func (e *env) startExamples(ctx context.Context, bin string) (*examples, error) {
	ns := uniqueName("http")
	schemas := []string{ns + "_users", ns + "_billing"}
	db, err := e.sqlDB(ctx)
	if err != nil {
		return nil, err
	}
	dropSchemas := func() error {
		var errs []error
		for _, s := range schemas {
			if _, err := db.ExecContext(context.Background(), `DROP SCHEMA IF EXISTS "`+s+`" CASCADE`); err != nil {
				errs = append(errs, fmt.Errorf("drop schema %s: %w", s, err))
			}
		}
		return errors.Join(errs...)
	}
	logs, err := os.MkdirTemp("", "evgen-bench-logs-")
	if err != nil {
		return nil, err
	}
	usersDB, err1 := withSearchPath(e.cfg.PostgresDSN, schemas[0])
	billingDB, err2 := withSearchPath(e.cfg.PostgresDSN, schemas[1])
	if err := errors.Join(err1, err2); err != nil {
		return nil, err
	}
	c, err := cluster.Start(ctx, cluster.Options{
		Mode: cluster.Processes, BinDir: bin, AMQPURL: e.cfg.AMQPURL, Namespace: ns,
		UsersDB: usersDB, BillingDB: billingDB, LogDir: logs,
	})
	if err != nil {
		return nil, errors.Join(err, dropSchemas(), os.RemoveAll(logs))
	}
	return &examples{Cluster: c, close: func() error {
		return errors.Join(c.Close(), dropSchemas(), os.RemoveAll(logs))
	}}, nil
}

// withSearchPath returns dsn with its search_path set to schema, where a
// service creates its tables.
func withSearchPath(dsn, schema string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("parse %s: %w", redactURL(dsn), err)
	}
	q := u.Query()
	q.Set("search_path", strings.ToLower(schema))
	u.RawQuery = q.Encode()
	return u.String(), nil
}
