package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/evgenhq/evgen/examples/billing/billingevents"
	"github.com/evgenhq/evgen/examples/demo/cluster"
	"github.com/evgenhq/evgen/examples/users/usersevents"
	"github.com/evgenhq/evgen/internal/servicetest"
	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store/memory"
)

// nodeDir holds the Node.js publisher and consumer that
// docs/other-languages.md shows, with amqplib pinned (package.json,
// package-lock.json); node_modules is installed there on first use and
// not committed.
const nodeDir = "testdata/node"

// TestNodePublisherToEvgenConsumer runs publish.mjs, a users service in
// Node.js, in both CloudEvents content modes, and checks that billing's
// generated handlers, on evgen's runtime and verifying who published,
// apply its event with every attribute it set.
func TestNodePublisherToEvgenConsumer(t *testing.T) {
	node := nodeModules(t)
	url := testenv.AMQPURL(t)
	user := brokerUserOf(t, url)
	for _, mode := range []string{"binary", "structured"} {
		t.Run(mode, func(t *testing.T) {
			ns := nodeNamespace(t)
			got := make(chan applied, 1)
			billing := runService(t, service.Config{Contract: billingevents.Contract, Namespace: ns, Transport: service.AMQP(url), Store: memory.New(),
				PublisherUsers: service.PublisherUsers{Verify: true, Users: map[string]string{"users": user}}})
			if err := billingevents.RegisterHandlers(billing, recorder{got}); err != nil {
				t.Fatal(err)
			}
			serve(t, billing)

			data := `{"user_id":"0b9d3c52-5d2a-4c39-9b8e-2f1c8a0e6d11","email":"node@example.com","plan":"pro","version":1,"registered_at":"2026-01-02T03:04:05Z"}`
			out, err := nodeCommand(node, url, ns, "publish.mjs", data, mode).Output()
			if err != nil {
				t.Fatalf("node publish.mjs: %v\n%s", err, stderrOf(err))
			}
			id := strings.TrimSpace(string(out))
			select {
			case a := <-got:
				if a.meta.ID != id || a.meta.Source != "users" || a.meta.Version != 1 || a.meta.CorrelationID != id || a.meta.Time.IsZero() ||
					a.meta.Subject != "0b9d3c52-5d2a-4c39-9b8e-2f1c8a0e6d11" {
					t.Errorf("billing saw meta %+v, want ID and correlation ID %s, source users, version 1, the user as subject, a time", a.meta, id)
				}
				if a.event.UserID != "0b9d3c52-5d2a-4c39-9b8e-2f1c8a0e6d11" || a.event.Email != "node@example.com" || a.event.Plan != billingevents.PlanPro || a.event.Version != 1 {
					t.Errorf("billing applied %+v, want the event publish.mjs sent", a.event)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("billing's handler did not get the event publish.mjs sent within 30s")
			}
		})
	}
}

// TestEvgenPublisherToNodeConsumer runs consume.mjs, a mailer service in
// Node.js, and checks that it reads an event users publishes through
// evgen's runtime, with its CloudEvents attributes.
func TestEvgenPublisherToNodeConsumer(t *testing.T) {
	node := nodeModules(t)
	url, ns := testenv.AMQPURL(t), nodeNamespace(t)
	t.Cleanup(func() { deleteQueues(t, url, ns+".mailer.queue", ns+".mailer.dlq") })
	cmd := nodeCommand(node, url, ns, "consume.mjs", "1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("consume.mjs wrote to stderr:\n%s", stderr.String())
		}
	})
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start node consume.mjs: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := readLines(stdout, func() { cmd.Process.Kill() })
	if line, err := lines.next(30 * time.Second); err != nil || line != "ready" {
		t.Fatalf("consume.mjs did not say ready: %q %v", line, err)
	}

	users := runService(t, service.Config{Contract: usersevents.Contract, Namespace: ns, Transport: service.AMQP(url), Store: memory.New(),
		SchemaBaseURL: "https://schemas.example.com/evgen"})
	sent := usersevents.UserRegistered{UserID: "5f0c2a8e-1d3b-4e7a-8c9d-0a1b2c3d4e5f", Email: "ada@example.com", Plan: usersevents.PlanFree, Version: 1, RegisteredAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := usersevents.NewPublisher(users).PublishUserRegistered(ctx, sent, runtime.WithID("evgen-to-node-1")); err != nil {
		t.Fatal(err)
	}
	line, err := lines.next(30 * time.Second)
	if err != nil {
		t.Fatalf("consume.mjs printed no event: %v", err)
	}
	var got struct {
		ID, Type, Source, Subject, Time, CorrelationID, DataSchema, PublishedBy string
		Version                                                                 int
		Data                                                                    usersevents.UserRegistered
	}
	if err := json.Unmarshal([]byte(line), &got); err != nil {
		t.Fatalf("consume.mjs printed %q: %v", line, err)
	}
	if got.ID != "evgen-to-node-1" || got.Type != "users.UserRegistered" || got.Version != 1 || got.Source != "users" ||
		got.Subject != sent.UserID || got.CorrelationID != got.ID || got.Time == "" || got.Data != sent ||
		got.DataSchema != "https://schemas.example.com/evgen/users.UserRegistered.v1.schema.json" || got.PublishedBy != brokerUserOf(t, url) {
		t.Errorf("consume.mjs read %+v, want the event users published, with its schema and broker user", got)
	}
}

// applied is one event billing's handler got.
type applied struct {
	event billingevents.UserRegistered
	meta  runtime.Meta
}

// recorder is billing's handlers, reporting UserRegistered.
type recorder struct{ got chan<- applied }

func (r recorder) HandleUserRegistered(_ context.Context, e billingevents.UserRegistered, m runtime.Meta) error {
	r.got <- applied{e, m}
	return nil
}
func (recorder) HandleUserEmailChanged(context.Context, billingevents.UserEmailChanged, runtime.Meta) error {
	return nil
}
func (recorder) HandleUserPlanChanged(context.Context, billingevents.UserPlanChanged, runtime.Meta) error {
	return nil
}
func (recorder) HandleUserDeletionRequested(context.Context, billingevents.UserDeletionRequested, runtime.Meta) error {
	return nil
}
func (recorder) HandleUserReactivated(context.Context, billingevents.UserReactivated, runtime.Meta) error {
	return nil
}
func (recorder) HandleUserDeleted(context.Context, billingevents.UserDeleted, runtime.Meta) error {
	return nil
}

// nodeNamespace is a namespace of the test's own; the users and billing
// topology in it is deleted when t ends.
func nodeNamespace(t *testing.T) string {
	t.Helper()
	ns := strings.ToLower(testenv.UniqueName("node"))
	url := testenv.AMQPURL(t)
	t.Cleanup(func() {
		if err := cluster.DeleteTopology(url, ns); err != nil {
			t.Errorf("delete the topology: %v", err)
		}
	})
	return ns
}

// runService makes a service of cfg, closed when t ends.
func runService(t *testing.T, cfg service.Config) *service.Service {
	t.Helper()
	return servicetest.New(t, cfg)
}

// serve runs svc until t ends and waits until it consumes.
func serve(t *testing.T, svc *service.Service) {
	t.Helper()
	servicetest.Run(t, svc)
}

// nodeCommand runs script of nodeDir with args against the broker at url
// in namespace ns.
func nodeCommand(node, url, ns, script string, args ...string) *exec.Cmd {
	cmd := exec.Command(node, append([]string{script}, args...)...)
	cmd.Dir = nodeDir
	cmd.Env = append(os.Environ(), "AMQP_URL="+url, "EVGEN_NAMESPACE="+ns)
	return cmd
}

func stderrOf(err error) string {
	if e, ok := err.(*exec.ExitError); ok {
		return string(e.Stderr)
	}
	return ""
}

// deleteQueues deletes queues, which a test declared outside the runtime.
func deleteQueues(t *testing.T, url string, queues ...string) {
	t.Helper()
	conn, err := amqp.Dial(url)
	if err != nil {
		t.Errorf("delete queues: %v", err)
		return
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Errorf("delete queues: %v", err)
		return
	}
	for _, q := range queues {
		if _, err := ch.QueueDelete(q, false, false, false); err != nil {
			t.Errorf("delete queue %s: %v", q, err)
		}
	}
}

// nodeModules returns the node binary, with amqplib installed in nodeDir
// from its lock file. Without node and npm it skips, or fails when
// EVGEN_REQUIRE_SERVICES is set (CI).
func nodeModules(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = exec.LookPath("npm")
	}
	if err != nil {
		nodeUnavailable(t, "node or npm missing", err, nil)
	}
	if _, err := os.Stat(filepath.Join(nodeDir, "node_modules", "amqplib")); err == nil {
		return node
	}
	out, err := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--prefix", nodeDir).CombinedOutput()
	if err != nil {
		nodeUnavailable(t, "npm ci in "+nodeDir+" failed", err, out)
	}
	return node
}

// nodeUnavailable skips the test with one line, or fails it when
// EVGEN_REQUIRE_SERVICES is set, as for the broker and the database.
func nodeUnavailable(t *testing.T, what string, err error, out []byte) {
	t.Helper()
	if testenv.Required() {
		t.Fatalf("Node.js is required (EVGEN_REQUIRE_SERVICES is set): %s: %v\n%s", what, err, out)
	}
	t.Skipf("%s, skipping the Node.js check (set EVGEN_REQUIRE_SERVICES=1 to fail instead): %v", what, err)
}

// TestDocsShowTheNodeExample checks that docs/other-languages.md shows
// the Node.js files this test runs, as they are.
func TestDocsShowTheNodeExample(t *testing.T) {
	doc, err := os.ReadFile("../../docs/other-languages.md")
	if err != nil {
		t.Fatal(err)
	}
	for file, lang := range map[string]string{"package.json": "json", "publish.mjs": "js", "consume.mjs": "js"} {
		src, err := os.ReadFile(filepath.Join(nodeDir, file))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(doc), "```"+lang+"\n"+string(src)+"```\n") {
			t.Errorf("docs/other-languages.md does not show %s as %s has it; paste it in a ```%s block", file, nodeDir, lang)
		}
	}
}

// brokerUserOf is the user the broker URL logs in as.
func brokerUserOf(t *testing.T, url string) string {
	t.Helper()
	uri, err := amqp.ParseURI(url)
	if err != nil {
		t.Fatal(err)
	}
	return uri.Username
}
