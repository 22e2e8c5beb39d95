package service_test

import (
	"strings"
	"testing"

	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store/memory"
)

// Issue 10, item 8: a service's queues are quorum queues unless classic is
// asked for, and their leaders spread over the nodes.
func TestQueuesAreQuorumByDefault(t *testing.T) {
	plan := service.Topology(service.Config{Contract: billingContract})
	for _, q := range plan.Queues {
		want := service.QuorumQueue
		if strings.HasSuffix(q.Name, ".log") {
			want = service.StreamQueue
		}
		if q.Type != want || q.LeaderLocator != service.LeadersBalanced || q.Replicas != 0 {
			t.Errorf("queue %s: type %q, leader locator %q, replicas %d; want %q, %q, 0 (the broker's default)",
				q.Name, q.Type, q.LeaderLocator, q.Replicas, want, service.LeadersBalanced)
		}
	}
	classic := service.Topology(service.Config{Contract: billingContract, QueueType: service.ClassicQueue})
	for _, q := range classic.Queues {
		if q.Type == service.ClassicQueue && q.LeaderLocator != "" {
			t.Errorf("classic queue %s has leader locator %q: RabbitMQ 3.10 refuses one on classic queues", q.Name, q.LeaderLocator)
		}
	}
}

// Issue 10, item 9: replica counts reach the quorum queues and the event
// log.
func TestClusterReplicasInTopology(t *testing.T) {
	plan := service.Topology(service.Config{Contract: billingContract, Cluster: service.ClusterConfig{QueueReplicas: 3, LogReplicas: 2, LeaderLocator: service.LeadersClientLocal}})
	for _, q := range plan.Queues {
		want := 3
		if q.Type == service.StreamQueue {
			want = 2
		}
		if q.Replicas != want || q.LeaderLocator != service.LeadersClientLocal {
			t.Errorf("queue %s: %d replicas, leader %q; want %d, %q", q.Name, q.Replicas, q.LeaderLocator, want, service.LeadersClientLocal)
		}
	}
	if s := plan.String(); !strings.Contains(s, ", 3 replicas, leader client-local") {
		t.Errorf("plan does not show replicas and leader locator:\n%s", s)
	}
}

func TestClusterConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*service.Config)
		want string
	}{
		{"negative replicas", func(c *service.Config) { c.Cluster.LogReplicas = -1 }, "must not be negative"},
		{"replicas of a classic queue", func(c *service.Config) {
			c.QueueType, c.Cluster.QueueReplicas = service.ClassicQueue, 3
		}, `Config.QueueType is "classic", which has no replicas`},
		{"unknown locator", func(c *service.Config) { c.Cluster.LeaderLocator = "min-masters" }, `LeaderLocator "min-masters": want "balanced"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := service.Config{Contract: billingContract, Transport: service.AMQP("amqp://127.0.0.1:5672/"), Store: memory.New()}
			tc.mod(&cfg)
			_, err := service.New(cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("NewService: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
