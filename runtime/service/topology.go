package service

import (
	"fmt"
	"slices"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/transport"
)

// TopologyPlan is the RabbitMQ topology a service declares at start-up;
// see transport.TopologyPlan, where the transports read it.
type TopologyPlan = transport.TopologyPlan

// ExchangeSpec is one durable topic exchange; see transport.ExchangeSpec.
type ExchangeSpec = transport.ExchangeSpec

// QueueSpec is one durable queue; see transport.QueueSpec.
type QueueSpec = transport.QueueSpec

// BindingSpec binds a queue to events of an exchange; see
// transport.BindingSpec.
type BindingSpec = transport.BindingSpec

// StreamQueue is the queue type of a producer's event log. It is not a
// valid Config.QueueType: consuming services read from classic or quorum
// queues.
const StreamQueue = transport.StreamQueue

// Topology returns the plan cfg's service declares: its own exchange when it
// publishes, the exchanges of the producers it consumes from (declared too,
// so that binding works before a producer ever started), and, when it
// consumes, its queue, its dead-letter queue and one binding per consumed
// event (and the removal of its bindings to lower versions of those
// events, see TopologyPlan.Unbindings). A service that publishes also
// declares, after the rest, the queue
// where it takes requests to re-announce its state (see RequestResync) and
// its event log (unless cfg.EventLog.Disabled), bound to its exchange with
// "#".
func Topology(cfg Config) TopologyPlan {
	cfg.setDefaults()
	p := consumerTopology(cfg)
	n := names{cfg.Namespace}
	if len(cfg.Contract.Publishes) > 0 {
		p.Queues = append(p.Queues, serviceQueue(cfg, n.resyncQueue(cfg.Contract.Service), ""))
	}
	if len(cfg.Contract.Publishes) > 0 && !cfg.EventLog.Disabled {
		log := n.eventLog(cfg.Contract.Service)
		p.Queues = append(p.Queues, QueueSpec{
			Name: log, Type: StreamQueue, MaxAge: cfg.EventLog.MaxAge, MaxBytes: cfg.EventLog.MaxBytes,
			Replicas: cfg.Cluster.LogReplicas, LeaderLocator: cfg.Cluster.LeaderLocator,
		})
		p.Bindings = append(p.Bindings, BindingSpec{Queue: log, Exchange: n.exchange(cfg.Contract.Service), RoutingKey: "#"})
	}
	return p
}

// consumerTopology is the plan without the event log.
func consumerTopology(cfg Config) TopologyPlan {
	n := names{cfg.Namespace}
	var p TopologyPlan
	seen := map[string]bool{}
	addExchange := func(producer string) {
		if !seen[producer] {
			seen[producer] = true
			p.Exchanges = append(p.Exchanges, ExchangeSpec{Name: n.exchange(producer), Producer: producer})
		}
	}
	if len(cfg.Contract.Publishes) > 0 {
		addExchange(cfg.Contract.Service)
	}
	if len(cfg.Contract.Consumes) == 0 {
		return p
	}
	q, dlq := n.queue(cfg.Contract.Service), n.deadLetterQueue(cfg.Contract.Service)
	p.Queues = []QueueSpec{serviceQueue(cfg, dlq, ""), serviceQueue(cfg, q, dlq)}
	for _, e := range cfg.Contract.Consumes {
		addExchange(e.Producer)
		p.Bindings = append(p.Bindings, BindingSpec{Queue: q, Exchange: n.exchange(e.Producer), RoutingKey: runtime.RoutingKey(e.Type, e.Version)})
	}
	p.Unbindings = lowerVersions(p.Bindings, cfg.Contract.Consumes, q, n)
	return p
}

// lowerVersions are the bindings of queue q to versions 1..N-1 of each
// consumed event at version N, except those bound is keeping.
func lowerVersions(bound []BindingSpec, consumes []runtime.EventInfo, q string, n names) []BindingSpec {
	var out []BindingSpec
	for _, e := range consumes {
		for v := 1; v < e.Version; v++ {
			bd := BindingSpec{Queue: q, Exchange: n.exchange(e.Producer), RoutingKey: runtime.RoutingKey(e.Type, v)}
			if !slices.Contains(bound, bd) {
				out = append(out, bd)
			}
		}
	}
	return out
}

// serviceQueue is the spec of one of the service's own queues, of
// cfg.QueueType, placed on the cluster as cfg.Cluster says.
func serviceQueue(cfg Config, name, deadLetterTo string) QueueSpec {
	q := QueueSpec{Name: name, Type: cfg.QueueType, DeadLetterTo: deadLetterTo}
	if q.Type == QuorumQueue {
		q.Replicas, q.LeaderLocator = cfg.Cluster.QueueReplicas, cfg.Cluster.LeaderLocator
	}
	return q
}

// QueueNames returns the queue and the dead-letter queue of service in
// namespace ("" means the default), for tools that reach a service's
// queues without its Config; it checks both names first.
func QueueNames(namespace, service string) (queue, deadLetterQueue string, err error) {
	if namespace == "" {
		namespace = DefaultNamespace
	}
	if err := CheckNamespace(namespace); err != nil {
		return "", "", err
	}
	if !namePattern.MatchString(service) {
		return "", "", fmt.Errorf("service %q is not a service name ([a-z][a-z0-9_]*)", service)
	}
	n := names{namespace}
	return n.queue(service), n.deadLetterQueue(service), nil
}

// names derives exchange and queue names from the namespace. Every name
// but a producer's exchange ("<namespace>.<producer>") has a suffix, the
// service's queue too ("<namespace>.<service>.queue"): RabbitMQ matches a
// user's permissions against names, not kinds, so a consumer, which must
// read a producer's exchange to bind to it, could otherwise also consume
// the producer's queue of the same name. Namespaces and service names
// have no dots, so no suffixed name is another's exchange. Versions before
// the suffix named the queue "<namespace>.<service>" (oldQueue): the
// engine passes that name to the transport (transport.Env.OldQueue), and
// the AMQP transport moves what such a queue still holds
// (runtime/transport/amqp/queue_migration.go).
type names struct{ namespace string }

func (n names) exchange(producer string) string { return n.namespace + "." + producer }
func (n names) queue(service string) string     { return n.namespace + "." + service + ".queue" }

// oldQueue is the name versions before the ".queue" suffix gave service's
// queue.
func (n names) oldQueue(service string) string { return n.namespace + "." + service }
func (n names) deadLetterQueue(service string) string {
	return n.namespace + "." + service + ".dlq"
}

// Exchange and EventLog give the names to transports (transport.Names).
func (n names) Exchange(producer string) string { return n.exchange(producer) }
func (n names) EventLog(producer string) string { return n.eventLog(producer) }

// eventLog is the stream that keeps every event producer publishes.
func (n names) eventLog(producer string) string { return n.namespace + "." + producer + ".log" }

// resyncQueue is where producer takes requests to re-announce its state.
func (n names) resyncQueue(producer string) string {
	return n.namespace + "." + producer + ".resync"
}
