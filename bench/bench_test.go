package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/evgenhq/evgen/internal/testenv"
)

// smokeConfig shrinks every case to a few dozen events: the smoke test
// proves the harness works end to end, not how fast anything is.
func smokeConfig(t *testing.T) config {
	t.Helper()
	c := defaultConfig()
	c.AMQPURL = testenv.AMQPURL(t)
	c.NATSURL = testenv.NATSURL(t)
	c.PostgresDSN = testenv.PostgresDSN(t)
	c.Events, c.Repeat = 60, 1
	c.Concurrency, c.Consumers, c.Channels, c.Batch = 4, 4, 2, 10
	c.Rate, c.Duration = 200, 250*time.Millisecond
	c.Services, c.GenEvents = 3, 12
	return c
}

// TestSmoke runs every case once with tiny sizes against the real RabbitMQ
// and PostgreSQL: each must finish without error, account for every event
// (the cases check their queues and tables themselves), and leave no
// exchange, queue or table behind.
func TestSmoke(t *testing.T) {
	cfg := smokeConfig(t)
	var log strings.Builder
	e := newEnv(cfg, &log)
	t.Cleanup(e.close)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	cases := allCases()
	reports := runCases(ctx, e, cases)
	if len(reports) != len(cases) {
		t.Fatalf("%d reports for %d cases; log:\n%s", len(reports), len(cases), log.String())
	}
	for _, r := range reports {
		if r.Error != "" {
			t.Errorf("%s: %s", r.Case, r.Error)
			continue
		}
		if len(r.Runs) != 1 {
			t.Errorf("%s: %d runs, want 1", r.Case, len(r.Runs))
			continue
		}
		if want := expectedEvents(cfg, r.Group); r.Runs[0].Events != want {
			t.Errorf("%s: %d events, want %d", r.Case, r.Runs[0].Events, want)
		}
		if r.Median <= 0 {
			t.Errorf("%s: median %v, want a positive measurement", r.Case, r.Median)
		}
	}
	if err := printTable(io.Discard, reports); err != nil {
		t.Errorf("print table: %v", err)
	}
	assertRoutesGone(t, e)
	assertTablesGone(t, e)
	assertSchemasGone(t, e)
}

func expectedEvents(cfg config, group string) int {
	switch group {
	case "latency":
		return int(float64(cfg.Rate) * cfg.Duration.Seconds())
	case "generate":
		return cfg.GenEvents
	default:
		return cfg.Events
	}
}

func assertRoutesGone(t *testing.T, e *env) {
	t.Helper()
	if len(e.routes) == 0 || len(e.evgenPlans) == 0 {
		t.Fatal("no route or evgen topology was declared: the smoke test ran no broker case")
	}
	var queues []string
	for _, r := range e.routes {
		queues = append(queues, r.Queue)
	}
	for _, p := range e.evgenPlans {
		for _, q := range p.Queues {
			queues = append(queues, q.Name)
		}
	}
	for _, q := range queues {
		err := e.withChannel(func(ch *amqp.Channel) error {
			_, err := ch.QueueDeclarePassive(q, true, false, false, false, nil)
			return err
		})
		var amqpErr *amqp.Error
		if !errors.As(err, &amqpErr) || amqpErr.Code != amqp.NotFound {
			t.Errorf("queue %s still exists after its case (passive declare: %v)", q, err)
		}
	}
}

func assertTablesGone(t *testing.T, e *env) {
	t.Helper()
	db, err := e.sqlDB(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	pattern := fmt.Sprintf(`bench\_%%\_%d\_%%`, os.Getpid())
	var left []string
	rows, err := db.Query(`SELECT table_name FROM information_schema.tables WHERE table_name LIKE $1`, pattern)
	if err != nil {
		t.Fatalf("list tables: %v", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		left = append(left, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Errorf("tables left behind: %v", left)
	}
}

// assertSchemasGone fails t for a schema of this process's runs left
// behind (pipeline-examples-http gives each service one).
func assertSchemasGone(t *testing.T, e *env) {
	t.Helper()
	db, err := e.sqlDB(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var left string
	pattern := fmt.Sprintf(`bench\_%%\_%d\_%%`, os.Getpid())
	if err := db.QueryRow(`SELECT coalesce(string_agg(nspname, ', '), '') FROM pg_namespace WHERE nspname LIKE $1`, pattern).Scan(&left); err != nil {
		t.Fatalf("list schemas: %v", err)
	}
	if left != "" {
		t.Errorf("schemas left behind: %s", left)
	}
}
