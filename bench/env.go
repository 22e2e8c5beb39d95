package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver the stores and hand-written cases use
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/evgenhq/evgen/runtime/service"
)

// env holds what the cases share: the configuration and connections opened
// on first use, so that a run of only the generator case needs no broker.
type env struct {
	cfg config
	log io.Writer // progress lines

	mu         sync.Mutex
	db         *sql.DB
	pool       *pgxpool.Pool
	admin      *amqp.Connection
	routes     []route                // every route declared, so a test can check they are gone
	evgenPlans []service.TopologyPlan // likewise for the evgen cases' topologies

	binOnce sync.Once // builds the example services' binaries for pipeline-examples-http
	binDir  string
	binErr  error
}

func newEnv(cfg config, log io.Writer) *env { return &env{cfg: cfg, log: log} }

// sqlDB is PostgreSQL through database/sql, as the evgen stores and the
// hand-written Watermill consumer use it.
func (e *env) sqlDB(ctx context.Context) (*sql.DB, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.db != nil {
		return e.db, nil
	}
	db, err := sql.Open("pgx", e.cfg.PostgresDSN)
	if err != nil {
		return nil, fmt.Errorf("open postgres %s: %w", e.cfg.PostgresDSN, err)
	}
	db.SetMaxOpenConns(e.cfg.Consumers + 8)
	db.SetMaxIdleConns(e.cfg.Consumers + 8)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to postgres %s (set -pg or EVGEN_POSTGRES_DSN): %w", e.cfg.PostgresDSN, err)
	}
	e.db = db
	return db, nil
}

// pgxPool is PostgreSQL through pgx's own interface, which can pipeline a
// batch of statements in one round trip: the raw ceiling uses it.
func (e *env) pgxPool(ctx context.Context) (*pgxpool.Pool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.pool != nil {
		return e.pool, nil
	}
	pool, err := pgxpool.New(ctx, e.cfg.PostgresDSN)
	if err != nil {
		return nil, fmt.Errorf("open postgres pool %s: %w", e.cfg.PostgresDSN, err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to postgres %s (set -pg or EVGEN_POSTGRES_DSN): %w", e.cfg.PostgresDSN, err)
	}
	e.pool = pool
	return pool, nil
}

// adminConn is the connection that declares and deletes the cases'
// exchanges and queues; the measured clients open their own.
func (e *env) adminConn() (*amqp.Connection, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.admin != nil && !e.admin.IsClosed() {
		return e.admin, nil
	}
	conn, err := amqp.Dial(e.cfg.AMQPURL)
	if err != nil {
		return nil, fmt.Errorf("connect to RabbitMQ %s (set -amqp or EVGEN_AMQP_URL): %w", redactURL(e.cfg.AMQPURL), err)
	}
	e.admin = conn
	return conn, nil
}

// withChannel runs fn on a fresh channel: a failed declare closes the
// channel it ran on, so none is reused.
func (e *env) withChannel(fn func(ch *amqp.Channel) error) error {
	conn, err := e.adminConn()
	if err != nil {
		return err
	}
	ch, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("open admin channel: %w", err)
	}
	defer ch.Close()
	return fn(ch)
}

// runtimeLog is the logger of the evgen services and stores: warnings and
// errors go to the progress log, where a retry or a failed batch shows up
// beside the numbers it affects; routine messages are left out.
func (e *env) runtimeLog() *slog.Logger {
	return slog.New(slog.NewTextHandler(e.log, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func (e *env) close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.db != nil {
		e.db.Close()
	}
	if e.pool != nil {
		e.pool.Close()
	}
	if e.admin != nil {
		e.admin.Close()
	}
	if e.binDir != "" {
		os.RemoveAll(e.binDir)
	}
}
