package runtime

import (
	"fmt"
	"strings"
)

// TopologyPlan is the RabbitMQ topology a service declares at start-up.
// Declaring is idempotent: every replica declares the same plan.
type TopologyPlan struct {
	Exchanges []ExchangeSpec
	Queues    []QueueSpec
	Bindings  []BindingSpec
}

// ExchangeSpec is one durable topic exchange, owned by a producing service.
type ExchangeSpec struct {
	Name     string // "<namespace>.<producer>"
	Producer string
}

// QueueSpec is one durable queue of the consuming service.
type QueueSpec struct {
	Name string
	Type QueueType
	// DeadLetterTo names the queue that rejected deliveries fall into (the
	// service's dead-letter queue); "" for the dead-letter queue itself.
	DeadLetterTo string
}

// BindingSpec binds the service's queue to one consumed event.
type BindingSpec struct {
	Queue      string
	Exchange   string
	RoutingKey string // "<type>.v<version>"
}

// Topology returns the plan cfg's service declares: its own exchange when it
// publishes, the exchanges of the producers it consumes from (declared too,
// so that binding works before a producer ever started), and, when it
// consumes, its queue, its dead-letter queue and one binding per consumed
// event.
func Topology(cfg Config) TopologyPlan {
	cfg.setDefaults()
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
	p.Queues = []QueueSpec{{Name: dlq, Type: cfg.QueueType}, {Name: q, Type: cfg.QueueType, DeadLetterTo: dlq}}
	for _, e := range cfg.Contract.Consumes {
		addExchange(e.Producer)
		p.Bindings = append(p.Bindings, BindingSpec{Queue: q, Exchange: n.exchange(e.Producer), RoutingKey: RoutingKey(e.Type, e.Version)})
	}
	return p
}

// String renders the plan for people: one line per exchange, queue and
// binding.
func (p TopologyPlan) String() string {
	var b strings.Builder
	for _, e := range p.Exchanges {
		fmt.Fprintf(&b, "exchange %s (topic, durable) for events of %s\n", e.Name, e.Producer)
	}
	for _, q := range p.Queues {
		fmt.Fprintf(&b, "queue    %s (%s, durable)", q.Name, q.Type)
		if q.DeadLetterTo != "" {
			fmt.Fprintf(&b, ", rejected -> %s", q.DeadLetterTo)
		}
		b.WriteByte('\n')
	}
	for _, bd := range p.Bindings {
		fmt.Fprintf(&b, "binding  %s <- %s : %s\n", bd.Queue, bd.Exchange, bd.RoutingKey)
	}
	return b.String()
}

// names derives exchange and queue names from the namespace.
type names struct{ namespace string }

func (n names) exchange(producer string) string { return n.namespace + "." + producer }
func (n names) queue(service string) string     { return n.namespace + "." + service }
func (n names) deadLetterQueue(service string) string {
	return n.namespace + "." + service + ".dlq"
}
