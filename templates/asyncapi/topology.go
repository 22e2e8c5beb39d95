package asyncapi

import (
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/schema"
	"github.com/evgenhq/evgen/topology"
)

// names are the exchange and queues of svc as the runtime declares them.
type names struct {
	exchange string // svc's own exchange; "" when it publishes nothing
	queue    string // its queue; "" when it consumes nothing
	dlq      string // its dead-letter queue
}

// namesOf asks the runtime for svc's names, so that the document cannot
// disagree with what a running service declares.
func namesOf(svc *schema.Service, opts Options) names {
	plan := service.Topology(service.Config{Namespace: opts.Namespace, Contract: topology.Contract(svc)})
	var n names
	for _, e := range plan.Exchanges {
		if e.Producer == svc.Name {
			n.exchange = e.Name
		}
	}
	for _, q := range plan.Queues {
		if q.DeadLetterTo != "" {
			n.queue, n.dlq = q.Name, q.DeadLetterTo
		}
	}
	return n
}
