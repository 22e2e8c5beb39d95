package asyncapi

import (
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/schema"
)

// names are the exchange and queues of svc as the runtime declares them.
type names struct {
	exchange string // svc's own exchange; "" when it publishes nothing
	queue    string // its queue; "" when it consumes nothing
	dlq      string // its dead-letter queue
}

// topology asks the runtime for svc's names, so that the document cannot
// disagree with what a running service declares.
func topology(svc *schema.Service, opts Options) names {
	plan := service.Topology(service.Config{Namespace: opts.Namespace, Contract: contract(svc)})
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

// contract is svc's runtime.Contract, as its generated package declares it.
func contract(svc *schema.Service) runtime.Contract {
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
