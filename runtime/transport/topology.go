package transport

import (
	"fmt"
	"strings"
	"time"
)

// The topology plan: the exchanges, queues and bindings a service
// declares, as the engine derives them from its contract and config
// (service.Topology). The AMQP transport declares it on RabbitMQ and the
// in-process one follows its bindings; other transports may ignore it.

// TopologyPlan is the RabbitMQ topology a service declares at start-up.
// Declaring is idempotent: every replica declares the same plan.
type TopologyPlan struct {
	Exchanges []ExchangeSpec
	Queues    []QueueSpec
	Bindings  []BindingSpec
	// Unbindings are removed after Bindings are made: the service's queue
	// to every lower version of each event it consumes. A consumer moved
	// from v1 to v2 would otherwise keep its queue's v1 binding and receive
	// each change twice, dead-lettering the v1 copy (it has no handler
	// for it). Removing a binding that does not exist succeeds.
	Unbindings []BindingSpec
}

// ExchangeSpec is one durable topic exchange, owned by a producing service.
type ExchangeSpec struct {
	Name     string // "<namespace>.<producer>"
	Producer string
}

// QueueSpec is one durable queue: the consuming service's queue and
// dead-letter queue, or the producing service's event log.
type QueueSpec struct {
	Name string
	Type QueueType // StreamQueue for the event log
	// DeadLetterTo names the queue that rejected deliveries fall into (the
	// service's dead-letter queue); "" for the dead-letter queue itself.
	DeadLetterTo string
	// MaxAge and MaxBytes are the retention of a stream; zero otherwise.
	MaxAge   time.Duration
	MaxBytes int64
	// Replicas is the number of nodes a quorum queue or stream is created
	// on; 0 for the broker's default, and for classic queues.
	Replicas int
	// LeaderLocator picks the node leading a new quorum queue or stream;
	// "" for classic queues, which take none.
	LeaderLocator LeaderLocator
}

// BindingSpec binds a queue to events of an exchange: the service's queue
// to one consumed event, or the event log to all of its producer's events.
type BindingSpec struct {
	Queue      string
	Exchange   string
	RoutingKey string // "<type>.v<version>", or "#" for the event log
}

// StreamQueue is the queue type of a producer's event log. It is not a
// valid service.Config.QueueType: consuming services read from classic or quorum
// queues.
const StreamQueue QueueType = "stream"

// QueueType selects the RabbitMQ queue type of a consuming service
// (service.Config.QueueType).
type QueueType string

// Queue types.
const (
	// QuorumQueue is a replicated queue (Raft): an event the broker
	// confirmed is on a majority of its replicas, and the queue goes on,
	// with a new leader, when a node stops. The default.
	QuorumQueue QueueType = "quorum"
	// ClassicQueue is a queue on one node. Use it only on purpose, for a
	// single broker whose queues were declared classic before quorum
	// became the default: on a cluster it loses confirmed events. Measured
	// on 3 RabbitMQ 3.10 nodes (docs/cluster.md): stopping the node that
	// held the consumer's classic queue lost 2,910 confirmed events over 3
	// runs, and killing it 4,186, because the producer's exchange still
	// routed each event to the producer's event log on another node, so
	// the broker confirmed it, while the classic queue had nowhere to take
	// its copy.
	ClassicQueue QueueType = "classic"
)

// LeaderLocator is a RabbitMQ queue leader locator (x-queue-leader-locator).
// RabbitMQ 3.10 accepts "client-local" and "balanced" (and the deprecated
// "random") for quorum queues and streams; classic queues take none.
type LeaderLocator string

// Leader locators.
const (
	// LeadersBalanced places each new leader on the node with the fewest
	// leaders, so that the services' queues spread over the cluster.
	LeadersBalanced LeaderLocator = "balanced"
	// LeadersClientLocal places each new leader on the node the declaring
	// service is connected to.
	LeadersClientLocal LeaderLocator = "client-local"
	// LeadersBrokerDefault sends no locator: the broker's
	// queue_leader_locator setting applies (client-local unless set). Queues
	// and event logs declared by evgen before LeaderLocator existed carry no
	// locator, and RabbitMQ refuses to redeclare them with one: keep this
	// value for them.
	LeadersBrokerDefault LeaderLocator = "broker-default"
)

// String renders the plan for people: one line per exchange, queue and
// binding.
func (p TopologyPlan) String() string {
	var b strings.Builder
	for _, e := range p.Exchanges {
		fmt.Fprintf(&b, "exchange %s (topic, durable) for events of %s\n", e.Name, e.Producer)
	}
	for _, q := range p.Queues {
		fmt.Fprintf(&b, "queue    %s (%s, durable)", q.Name, q.Type)
		if q.Type == StreamQueue {
			fmt.Fprintf(&b, ", event log kept %v or %d bytes", q.MaxAge, q.MaxBytes)
		}
		if q.Replicas > 0 {
			fmt.Fprintf(&b, ", %d replicas", q.Replicas)
		}
		if q.LeaderLocator != "" && q.LeaderLocator != LeadersBrokerDefault {
			fmt.Fprintf(&b, ", leader %s", q.LeaderLocator)
		}
		if q.DeadLetterTo != "" {
			fmt.Fprintf(&b, ", rejected -> %s", q.DeadLetterTo)
		}
		b.WriteByte('\n')
	}
	for _, bd := range p.Bindings {
		fmt.Fprintf(&b, "binding  %s <- %s : %s\n", bd.Queue, bd.Exchange, bd.RoutingKey)
	}
	for _, bd := range p.Unbindings {
		fmt.Fprintf(&b, "unbind   %s <- %s : %s (a version no longer consumed)\n", bd.Queue, bd.Exchange, bd.RoutingKey)
	}
	return b.String()
}
