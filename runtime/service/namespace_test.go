package service_test

import (
	"strings"
	"testing"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/recovery"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store/memory"
)

// queueNames are the names of the queues plan declares.
func queueNames(plan service.TopologyPlan) map[string]bool {
	names := map[string]bool{}
	for _, q := range plan.Queues {
		names[q.Name] = true
	}
	return names
}

// Namespaces and services are joined with dots, so a dotted namespace can
// name another namespace's queue: the exchange of service "dlq" in
// namespace "a.billing" would be named as billing's dead-letter queue in
// namespace "a", and RabbitMQ's permissions, which match names, would give
// dlq's consumers billing's dead letters. Such a namespace is refused
// wherever one is taken.
func TestDottedNamespaceRefused(t *testing.T) {
	dlqService := runtime.Contract{Service: "dlq", Consumes: []runtime.EventInfo{usersInfo}}
	inA := service.Topology(service.Config{Contract: billingContract, Namespace: "a"})
	if exchange := service.ExchangeName("a.billing", "dlq"); !queueNames(inA)[exchange] {
		t.Fatalf("the collision this test guards against is gone: %s is none of %v", exchange, queueNames(inA))
	}

	cfg := service.Config{Contract: dlqService, Namespace: "a.billing", Transport: service.AMQP(testenv.AMQPURL(t)), Store: memory.New()}
	if _, err := service.New(cfg); err == nil || !strings.Contains(err.Error(), `namespace "a.billing" has a dot`) {
		t.Errorf("NewService with namespace a.billing: %v; want it refused for the dot", err)
	}
	if _, err := recovery.OpenDeadLetters(testenv.AMQPURL(t), "a.billing", "dlq"); err == nil || !strings.Contains(err.Error(), "has a dot") {
		t.Errorf("OpenDeadLetters with namespace a.billing: %v; want it refused for the dot", err)
	}
	for _, ok := range []string{"evgen", "a", "test-1_x", "Env2"} {
		if err := service.CheckNamespace(ok); err != nil {
			t.Errorf("CheckNamespace(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "a.b", ".a", "a b", "-a", "a/b"} {
		if err := service.CheckNamespace(bad); err == nil {
			t.Errorf("CheckNamespace(%q) = nil, want an error", bad)
		}
	}
}
