package topology

import (
	"regexp"
	"slices"
	"strings"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
)

// DefaultExchange is the name RabbitMQ checks permissions on for the
// default exchange (""), through which the runtime sends straight to a
// queue: dead letters, resync requests and answers, and sync markers.
// Write on it reaches every queue; docs/other-languages.md says why the
// marker cannot go on RabbitMQ 3.10 and why the right would stay if it
// did.
const DefaultExchange = "amq.default"

// Permissions are a broker user's rights on one vhost, as RabbitMQ gives
// them: per operation, the names (of exchanges and queues alike) it may
// touch, each with the reasons the runtime needs it.
type Permissions struct {
	Configure []Grant
	Write     []Grant
	Read      []Grant
}

// op is one operation's grants, named as RabbitMQ names it.
type op struct {
	name   string
	grants []Grant
}

// ops are p's operations in RabbitMQ's order.
func (p Permissions) ops() []op {
	return []op{{"configure", p.Configure}, {"write", p.Write}, {"read", p.Read}}
}

// Grant is one exchange or queue name a permission covers.
type Grant struct {
	Name string   `json:"name"`
	Why  []string `json:"why"`
	// exchange is true when it was granted for an exchange: a queue of
	// the same name gets the right too, without needing it.
	exchange bool
}

// Regex is the regular expression RabbitMQ takes for grants: exactly
// their names, or nothing ("^$" matches no exchange or queue).
func Regex(grants []Grant) string {
	if len(grants) == 0 {
		return "^$"
	}
	quoted := make([]string, len(grants))
	for i, g := range grants {
		quoted[i] = regexp.QuoteMeta(g.Name)
	}
	return "^(" + strings.Join(quoted, "|") + ")$"
}

// grants collects names with their reasons, in first-seen order.
type grants []Grant

func (gs *grants) add(name, why string) { gs.grant(name, why, false) }

// addExchange adds a right that is needed on the exchange name.
func (gs *grants) addExchange(name, why string) { gs.grant(name, why, true) }

func (gs *grants) grant(name, why string, exchange bool) {
	for i := range *gs {
		if g := &(*gs)[i]; g.Name == name {
			if !slices.Contains(g.Why, why) {
				g.Why = append(g.Why, why)
			}
			g.exchange = g.exchange || exchange
			return
		}
	}
	*gs = append(*gs, Grant{Name: name, Why: []string{why}, exchange: exchange})
}

// permissions are what the runtime does on the broker for contract c with
// plan, as RabbitMQ checks it: declaring an exchange or a queue needs
// configure on it, and a queue with a dead-letter exchange also read on
// the queue and write on that exchange; binding needs write on the queue
// and read on the exchange; publishing write on the exchange; consuming
// read on the queue.
func permissions(ns string, c runtime.Contract, plan service.TopologyPlan) Permissions {
	var conf, write, read grants
	for _, e := range plan.Exchanges {
		if e.Producer == c.Service {
			conf.addExchange(e.Name, "declare its exchange")
			write.addExchange(e.Name, "publish its events")
		} else {
			conf.addExchange(e.Name, "declare the exchange of "+e.Producer+", so that binding works before "+e.Producer+" ever ran")
		}
	}
	for _, q := range plan.Queues {
		conf.add(q.Name, "declare its "+role(ns, c.Service, q.Name).noun())
		if q.DeadLetterTo != "" {
			read.add(q.Name, "declare it with a dead-letter exchange")
			write.add(DefaultExchange, "declare its queue with the default exchange as dead-letter exchange")
		}
	}
	for _, b := range plan.Bindings {
		write.add(b.Queue, "bind it to "+b.Exchange)
		read.addExchange(b.Exchange, "bind "+b.Queue+" to it")
	}
	addRuntimeUse(ns, c, &write, &read)
	return Permissions{Configure: conf, Write: write, Read: read}
}

// addRuntimeUse adds what a running service reads and sends besides its
// declarations.
func addRuntimeUse(ns string, c runtime.Contract, write, read *grants) {
	if len(c.Consumes) > 0 {
		read.add(service.QueueName(ns, c.Service), "consume its events")
		write.add(DefaultExchange, "dead-letter a delivery with its reason")
	}
	if len(c.Publishes) > 0 {
		read.add(service.ResyncQueueName(ns, c.Service), "take resync requests")
		write.add(DefaultExchange, "answer a resync request straight to the requester's queue")
	}
	for _, p := range producers(c) {
		write.add(DefaultExchange, "ask "+p+" to resync, and mark where a sync from its log ends")
		read.add(service.EventLogName(ns, p), "sync from the event log of "+p)
	}
}

// withOldQueue adds to p what moving the old queue takes: unbinding it
// (write), consuming it (read), deleting it (configure).
func withOldQueue(p Permissions, old string) Permissions {
	const why = "move the queue of an older version and delete it (-old-queues: for the upgrade only)"
	(*grants)(&p.Configure).add(old, why)
	(*grants)(&p.Write).add(old, why)
	(*grants)(&p.Read).add(old, why)
	return p
}

// producers are the services c consumes from, in contract order.
func producers(c runtime.Contract) []string {
	var ps []string
	for _, e := range c.Consumes {
		if !slices.Contains(ps, e.Producer) {
			ps = append(ps, e.Producer)
		}
	}
	return ps
}
