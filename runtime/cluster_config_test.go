package runtime_test

import (
	"strings"
	"testing"

	"github.com/evgenhq/evgen/runtime"
)

// Issue 10, item 8: a service's queues are quorum queues unless classic is
// asked for, and their leaders spread over the nodes.
func TestQueuesAreQuorumByDefault(t *testing.T) {
	plan := runtime.Topology(runtime.Config{Contract: billingContract})
	for _, q := range plan.Queues {
		want := runtime.QuorumQueue
		if strings.HasSuffix(q.Name, ".log") {
			want = runtime.StreamQueue
		}
		if q.Type != want || q.LeaderLocator != runtime.LeadersBalanced || q.Replicas != 0 {
			t.Errorf("queue %s: type %q, leader locator %q, replicas %d; want %q, %q, 0 (the broker's default)",
				q.Name, q.Type, q.LeaderLocator, q.Replicas, want, runtime.LeadersBalanced)
		}
	}
	classic := runtime.Topology(runtime.Config{Contract: billingContract, QueueType: runtime.ClassicQueue})
	for _, q := range classic.Queues {
		if q.Type == runtime.ClassicQueue && q.LeaderLocator != "" {
			t.Errorf("classic queue %s has leader locator %q: RabbitMQ 3.10 refuses one on classic queues", q.Name, q.LeaderLocator)
		}
	}
}

// Issue 10, item 9: replica counts reach the quorum queues and the event
// log.
func TestClusterReplicasInTopology(t *testing.T) {
	plan := runtime.Topology(runtime.Config{Contract: billingContract, Cluster: runtime.ClusterConfig{QueueReplicas: 3, LogReplicas: 2, LeaderLocator: runtime.LeadersClientLocal}})
	for _, q := range plan.Queues {
		want := 3
		if q.Type == runtime.StreamQueue {
			want = 2
		}
		if q.Replicas != want || q.LeaderLocator != runtime.LeadersClientLocal {
			t.Errorf("queue %s: %d replicas, leader %q; want %d, %q", q.Name, q.Replicas, q.LeaderLocator, want, runtime.LeadersClientLocal)
		}
	}
	if s := plan.String(); !strings.Contains(s, ", 3 replicas, leader client-local") {
		t.Errorf("plan does not show replicas and leader locator:\n%s", s)
	}
}

func TestClusterConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*runtime.Config)
		want string
	}{
		{"negative replicas", func(c *runtime.Config) { c.Cluster.LogReplicas = -1 }, "must not be negative"},
		{"replicas of a classic queue", func(c *runtime.Config) {
			c.QueueType, c.Cluster.QueueReplicas = runtime.ClassicQueue, 3
		}, `Config.QueueType is "classic", which has no replicas`},
		{"unknown locator", func(c *runtime.Config) { c.Cluster.LeaderLocator = "min-masters" }, `LeaderLocator "min-masters": want "balanced"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := runtime.Config{Contract: billingContract, Transport: runtime.AMQP("amqp://127.0.0.1:5672/"), Store: runtime.NewMemoryStore()}
			tc.mod(&cfg)
			_, err := runtime.NewService(cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("NewService: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
