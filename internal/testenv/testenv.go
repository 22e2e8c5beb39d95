// Package testenv gives integration tests the addresses of the real
// RabbitMQ and PostgreSQL, and decides what a test does when they are not
// reachable: skip with one line, or fail when EVGEN_REQUIRE_SERVICES is set
// (as .ci/run sets it).
package testenv

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

// Defaults match the services this project's machines start.
const (
	DefaultAMQPURL     = "amqp://guest:guest@127.0.0.1:5672/"
	DefaultPostgresDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
)

// Required reports whether unreachable services fail tests instead of
// skipping them.
func Required() bool {
	v := os.Getenv("EVGEN_REQUIRE_SERVICES")
	return v != "" && v != "0" && !strings.EqualFold(v, "false")
}

// AMQPURL returns the broker URL from EVGEN_AMQP_URL (or the default) once
// the broker answers on its port; otherwise it skips or fails t. It holds
// the shared broker lock until t ends (see ExclusiveBroker).
func AMQPURL(t testing.TB) string {
	t.Helper()
	u := env("EVGEN_AMQP_URL", DefaultAMQPURL)
	lockBroker(t, syscall.LOCK_SH)
	reachable(t, "RabbitMQ", u, "5672")
	return u
}

// PostgresDSN returns the DSN from EVGEN_POSTGRES_DSN (or the default) once
// the server answers on its port; otherwise it skips or fails t.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	dsn := env("EVGEN_POSTGRES_DSN", DefaultPostgresDSN)
	reachable(t, "PostgreSQL", dsn, "5432")
	return dsn
}

// Postgres opens the test database through pgx's database/sql driver and
// closes it when t ends.
func Postgres(t testing.TB) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", PostgresDSN(t))
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		unavailable(t, "PostgreSQL", err)
	}
	return db
}

// UniqueName returns prefix with a suffix unique to this run, for queues,
// exchanges and tables that parallel test packages must not share.
func UniqueName(prefix string) string {
	return fmt.Sprintf("%s_%d_%d", prefix, os.Getpid(), time.Now().UnixNano()%1_000_000_000)
}

func env(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func reachable(t testing.TB, what, rawURL, defPort string) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatalf("%s address %q: %v", what, rawURL, err)
	}
	host := u.Hostname()
	port := u.Port()
	if port == "" {
		port = defPort
	}
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(host, port), 3*time.Second)
	if err != nil {
		unavailable(t, what, err)
		return
	}
	conn.Close()
}

func unavailable(t testing.TB, what string, err error) {
	t.Helper()
	if Required() {
		t.Fatalf("%s is required (EVGEN_REQUIRE_SERVICES is set) but unreachable: %v", what, err)
	}
	t.Skipf("%s unreachable, skipping integration test (set EVGEN_REQUIRE_SERVICES=1 to fail instead): %v", what, err)
}
