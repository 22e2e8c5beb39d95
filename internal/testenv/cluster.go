package testenv

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ClusterURLsEnv names the variable that hands a running cluster to the
// tests: the comma-separated AMQP URLs rabbitcluster.sh start printed, as
// .ci/run exports them. Unset, Cluster starts a cluster of its own.
const ClusterURLsEnv = "EVGEN_CLUSTER_URLS"

// clusterLockPath keeps two test processes from starting, stopping or
// failing over the same cluster at once.
var clusterLockPath = filepath.Join(os.TempDir(), "evgen-rabbitcluster.lock")

// RabbitCluster is the 3-node RabbitMQ cluster of rabbitcluster.sh, which
// runs beside the shared broker and never touches it. Nodes are numbered
// 1 to 3; URLs[i] is node i+1.
type RabbitCluster struct {
	URLs   []string
	script string
}

// Cluster returns the cluster named by EVGEN_CLUSTER_URLS, or starts one
// and stops it when t ends. When it cannot, it skips t with one line, or
// fails it when EVGEN_REQUIRE_SERVICES is set.
func Cluster(t testing.TB) *RabbitCluster {
	t.Helper()
	_, file, _, _ := goruntime.Caller(0)
	c := &RabbitCluster{script: filepath.Join(filepath.Dir(file), "rabbitcluster.sh")}
	lock(t, clusterLockPath)
	if urls := os.Getenv(ClusterURLsEnv); urls != "" {
		c.URLs = strings.Split(urls, ",")
		for _, u := range c.URLs {
			reachable(t, "RabbitMQ cluster node", u, "5672")
		}
		return c
	}
	began := time.Now()
	out, err := c.run(3*time.Minute, "start")
	if err != nil {
		c.run(time.Minute, "stop")
		unavailable(t, "a 3-node RabbitMQ cluster (internal/testenv/rabbitcluster.sh start)", fmt.Errorf("%v: %s", err, lastLine(out)))
		return nil
	}
	t.Logf("started a 3-node RabbitMQ cluster in %v", time.Since(began).Round(100*time.Millisecond))
	t.Cleanup(func() {
		if out, err := c.run(time.Minute, "stop"); err != nil {
			t.Errorf("stop the RabbitMQ cluster: %v\n%s", err, out)
		}
	})
	c.URLs = strings.Split(strings.TrimSpace(lastLine(out)), ",")
	return c
}

// NodeOf returns the number of the node with the Erlang name node
// ("evgen-c2@localhost"), or 0.
func NodeOf(node string) int {
	var n int
	if _, err := fmt.Sscanf(node, "evgen-c%d@", &n); err != nil || n < 1 || n > 3 {
		return 0
	}
	return n
}

// NodeOfPort returns the number of the node listening on AMQP port port, or 0.
func (c *RabbitCluster) NodeOfPort(port string) int {
	for i, raw := range c.URLs {
		if u, err := url.Parse(raw); err == nil && u.Port() == port {
			return i + 1
		}
	}
	return 0
}

// Stop stops node n, keeping its data, and starts it again when t ends if
// the test did not.
func (c *RabbitCluster) Stop(t testing.TB, n int) {
	t.Helper()
	if out, err := c.run(2*time.Minute, "stop-node", fmt.Sprint(n)); err != nil {
		t.Fatalf("stop cluster node %d: %v\n%s", n, err, out)
	}
	t.Cleanup(func() {
		if !c.Running(n) {
			c.Start(t, n)
		}
	})
}

// Start starts node n again and waits until it runs in the cluster.
func (c *RabbitCluster) Start(t testing.TB, n int) {
	t.Helper()
	if out, err := c.run(2*time.Minute, "start-node", fmt.Sprint(n)); err != nil {
		t.Fatalf("start cluster node %d: %v\n%s", n, err, out)
	}
}

// Running reports whether node n accepts AMQP connections.
func (c *RabbitCluster) Running(n int) bool {
	u, err := url.Parse(c.URLs[n-1])
	if err != nil {
		return false
	}
	conn, err := net.DialTimeout("tcp", u.Host, time.Second)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

// Ctl runs rabbitmqctl args against node n and returns its output.
func (c *RabbitCluster) Ctl(t testing.TB, n int, args ...string) string {
	t.Helper()
	return c.tool(t, "ctl", "rabbitmqctl", n, args)
}

// Queues runs rabbitmq-queues args against node n and returns its output.
func (c *RabbitCluster) Queues(t testing.TB, n int, args ...string) string {
	t.Helper()
	return c.tool(t, "queues", "rabbitmq-queues", n, args)
}

// Streams runs rabbitmq-streams args against node n and returns its output.
func (c *RabbitCluster) Streams(t testing.TB, n int, args ...string) string {
	t.Helper()
	return c.tool(t, "streams", "rabbitmq-streams", n, args)
}

func (c *RabbitCluster) tool(t testing.TB, sub, name string, n int, args []string) string {
	t.Helper()
	out, err := c.run(time.Minute, append([]string{sub, fmt.Sprint(n)}, args...)...)
	if err != nil {
		t.Fatalf("%s %s on cluster node %d: %v\n%s", name, strings.Join(args, " "), n, err, out)
	}
	return out
}

func (c *RabbitCluster) run(timeout time.Duration, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.script, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// lock holds an exclusive lock on path until t ends.
func lock(t testing.TB, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		t.Fatalf("open lock %s: %v", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		t.Fatalf("lock %s: %v", path, err)
	}
	t.Cleanup(func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	})
}
