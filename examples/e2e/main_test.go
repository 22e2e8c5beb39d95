// Package e2e tests the example services end to end: each test builds
// nothing (TestMain builds the users and billing commands once), starts
// both as processes against the real RabbitMQ and PostgreSQL, drives them
// over HTTP only, and removes its queues, exchanges and schemas after.
package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/evgenhq/evgen/examples/demo/cluster"
	"github.com/evgenhq/evgen/internal/testenv"
	_ "github.com/evgenhq/evgen/runtime/store/postgres" // the services' databases are PostgreSQL schemas
)

// binDir holds the users and billing binaries built by TestMain.
var binDir string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "evgen-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := cluster.Build(ctx, dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	binDir = dir
	return m.Run()
}

// start runs users and billing as processes over RabbitMQ, each in its own
// PostgreSQL schema of the test database, in a namespace of their own; all
// of it is removed when t ends.
func start(t *testing.T) *cluster.Cluster {
	t.Helper()
	return startIn(t).Cluster
}

// deployment is a started cluster and where it lives.
type deployment struct {
	*cluster.Cluster
	// Namespace prefixes the services' exchanges and queues on the broker
	// at AMQPURL.
	Namespace, AMQPURL string
	// DB is the test database, and BillingSchema the schema that holds
	// billing's tables in it, for a test that tampers with billing's data.
	DB            *sql.DB
	BillingSchema string
}

// startIn is start, telling where the services live; each tweak may
// change the options (their Namespace already set) before the start.
func startIn(t *testing.T, tweaks ...func(*cluster.Options)) deployment {
	t.Helper()
	amqpURL, dsn := testenv.AMQPURL(t), testenv.PostgresDSN(t)
	ns := strings.ToLower(testenv.UniqueName("e2e"))
	usersSchema, billingSchema := ns+"_users", ns+"_billing"
	db := testenv.Postgres(t)
	t.Cleanup(func() {
		for _, s := range []string{usersSchema, billingSchema} {
			if _, err := db.Exec(`DROP SCHEMA IF EXISTS "` + s + `" CASCADE`); err != nil {
				t.Errorf("drop schema %s: %v", s, err)
			}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	opts := cluster.Options{
		Mode: cluster.Processes, BinDir: binDir, AMQPURL: amqpURL, Namespace: ns,
		UsersDB: withSearchPath(t, dsn, usersSchema), BillingDB: withSearchPath(t, dsn, billingSchema),
		LogDir: t.TempDir(),
	}
	for _, tweak := range tweaks {
		tweak(&opts)
	}
	c, err := cluster.Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		checkDeclaredEmits(t, c)
		if t.Failed() {
			t.Logf("users' log ends with:\n%s\nbilling's log ends with:\n%s", c.LogTail("users", 30), c.LogTail("billing", 30))
		}
		if err := c.Close(); err != nil {
			t.Errorf("stop the services: %v", err)
		}
	})
	return deployment{Cluster: c, Namespace: ns, AMQPURL: amqpURL, DB: db, BillingSchema: billingSchema}
}

// checkDeclaredEmits fails t if a running service's handlers published an
// event their contract's emits: does not declare: the example contracts
// declare every reaction, so the declared choreography (evgen graph) is
// the one that ran. A service a test left stopped is not asked.
func checkDeclaredEmits(t *testing.T, c *cluster.Cluster) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, svc := range []struct {
		name   string
		client *cluster.Client
	}{{"users", c.Users.Client}, {"billing", c.Billing.Client}} {
		name, client := svc.name, svc.client
		if !client.Healthy(ctx) {
			continue
		}
		n, err := client.Counter(ctx, "evgen_undeclared_emits_total", nil)
		if err != nil {
			t.Errorf("read %s's metrics: %v", name, err)
		} else if n != 0 {
			t.Errorf("%s: handlers published %v events their contract does not declare (evgen_undeclared_emits_total); see the log", name, n)
		}
	}
}

// withSearchPath returns dsn with its search_path set to schema, where the
// service creates its tables.
func withSearchPath(t *testing.T, dsn, schema string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("parse %s: %v", dsn, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// await is cluster.Await with the tests' timeout, failing t on timeout.
func await[T any](t *testing.T, what string, check func(context.Context) (T, bool, error)) T {
	t.Helper()
	v, err := cluster.Await(context.Background(), 30*time.Second, what, check)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
