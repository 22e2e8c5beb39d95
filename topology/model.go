package topology

import (
	"fmt"
	"slices"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/schema"
)

// Options are the runtime settings the topology depends on.
type Options struct {
	// Namespace is the services' service.Config.Namespace; "" for the
	// runtime's default.
	Namespace string
	// QueueType is their service.Config.QueueType; "" for the default.
	QueueType service.QueueType
	// UserPrefix is put before each service's name to make its broker
	// user: "" gives the user the service's name.
	UserPrefix string
	// OldQueues grants each consuming service what it needs to move the
	// queue an older runtime named "<namespace>.<service>"
	// (service.OldQueueName): for the upgrade only, since a right on that
	// name is a right on the service's exchange too, and other services'
	// old queues are the exchanges they read.
	OldQueues bool
}

// Service is what one service declares on the broker, in the order the
// runtime declares it, and what its broker user may do.
type Service struct {
	Name        string
	User        string // the broker user the service connects as
	Exchanges   []service.ExchangeSpec
	Queues      []Queue
	Bindings    []service.BindingSpec
	Permissions Permissions
	// Overreach names the rights this user gets beyond what it needs,
	// which RabbitMQ's permissions cannot leave out: write on the default
	// exchange reaches every queue, and permissions match names, not
	// kinds, so a right on a producer's exchange would be the same right
	// on a queue of the same name (with Options.OldQueues, the producer's
	// queue of an older version).
	Overreach []string
}

// Queue is one queue a service declares, with what it is for.
type Queue struct {
	service.QueueSpec
	Role Role
}

// Role says what a queue is for.
type Role string

// The roles of a service's queues.
const (
	RoleQueue      Role = "queue"       // the events the service consumes
	RoleDeadLetter Role = "dead-letter" // the deliveries its handlers rejected
	RoleResync     Role = "resync"      // requests to re-announce its state
	RoleEventLog   Role = "event-log"   // every event it published (a stream)
)

// noun is how r's queue is called in the reasons of a grant.
func (r Role) noun() string {
	switch r {
	case RoleDeadLetter:
		return "dead-letter queue"
	case RoleResync:
		return "resync queue"
	case RoleEventLog:
		return "event log"
	}
	return "queue"
}

// Build describes every service of set, sorted by name. It fails when
// opts would not be accepted by the runtime.
func Build(set *schema.Set, opts Options) ([]Service, error) {
	if opts.Namespace != "" {
		if err := service.CheckNamespace(opts.Namespace); err != nil {
			return nil, err
		}
	}
	if t := opts.QueueType; t != "" && t != service.QuorumQueue && t != service.ClassicQueue {
		return nil, fmt.Errorf("queue type %q: want %q or %q", t, service.QuorumQueue, service.ClassicQueue)
	}
	out := make([]Service, 0, len(set.Services))
	for _, svc := range set.Services {
		out = append(out, build(svc, opts))
	}
	for i := range out {
		out[i].Overreach = overreach(out[i], out, opts)
	}
	return out, nil
}

// build describes svc from the plan the runtime declares for it.
func build(svc *schema.Service, opts Options) Service {
	c := Contract(svc)
	plan := service.Topology(service.Config{Namespace: opts.Namespace, QueueType: opts.QueueType, Contract: c})
	s := Service{Name: svc.Name, User: opts.UserPrefix + svc.Name, Exchanges: plan.Exchanges, Bindings: plan.Bindings}
	for _, q := range plan.Queues {
		s.Queues = append(s.Queues, Queue{QueueSpec: q, Role: role(opts.Namespace, svc.Name, q.Name)})
	}
	s.Permissions = permissions(opts.Namespace, c, plan)
	if opts.OldQueues && len(c.Consumes) > 0 {
		s.Permissions = withOldQueue(s.Permissions, service.OldQueueName(opts.Namespace, c.Service))
	}
	return s
}

// role tells which of svc's queues name is.
func role(ns, svc, name string) Role {
	switch name {
	case service.DeadLetterQueueName(ns, svc):
		return RoleDeadLetter
	case service.ResyncQueueName(ns, svc):
		return RoleResync
	case service.EventLogName(ns, svc):
		return RoleEventLog
	}
	return RoleQueue
}

// Contract is svc's runtime.Contract as its generated package declares it
// (templates/contract.go), as far as the broker's topology depends on it:
// the events it publishes and consumes, with their keys. Tools that ask
// the runtime for a service's names (this package, the AsyncAPI document)
// build the contract here, so that they cannot disagree.
func Contract(svc *schema.Service) runtime.Contract {
	c := runtime.Contract{Service: svc.Name}
	for _, d := range svc.Package.Events {
		ev := d.Event
		info := runtime.EventInfo{Producer: ev.Service.Name, Name: ev.Name, Type: ev.Type, Version: ev.Version}
		if ev.Key != nil {
			info.Key = ev.Key.Name
		}
		if d.Own {
			c.Publishes = append(c.Publishes, info)
		} else {
			c.Consumes = append(c.Consumes, info)
		}
	}
	return c
}

// overreach finds the rights of s beyond its need: the default exchange,
// which reaches every queue, and grants that also cover a queue of
// another service, its old queue too with opts.OldQueues.
func overreach(s Service, all []Service, opts Options) []string {
	var found []string
	if slices.ContainsFunc(s.Permissions.Write, func(g Grant) bool { return g.Name == DefaultExchange }) {
		found = append(found, "write on "+DefaultExchange+": it may also publish straight into any queue of the vhost, past the producers' exchanges, a producer's event log included")
	}
	for _, other := range all {
		if other.Name == s.Name {
			continue
		}
		for _, q := range other.Queues {
			for _, op := range s.Permissions.ops() {
				if slices.ContainsFunc(op.grants, func(g Grant) bool { return g.exchange && g.Name == q.Name }) {
					found = append(found, fmt.Sprintf("%s on %s: it is also the %s of %s, named as its exchange", op.name, q.Name, q.Role.noun(), other.Name))
				}
				if old := service.OldQueueName(opts.Namespace, other.Name); opts.OldQueues && q.Role == RoleQueue &&
					slices.ContainsFunc(op.grants, func(g Grant) bool { return g.Name == old }) {
					found = append(found, fmt.Sprintf("%s on %s: it is also the queue an older version of %s named so, until %s moved it (-old-queues)", op.name, old, other.Name, other.Name))
				}
			}
		}
	}
	return found
}
