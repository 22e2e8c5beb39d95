package site

import (
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/schema"
)

// topology is the RabbitMQ topology svc declares at start-up, as the
// runtime computes it: the names on the service page are the runtime's,
// not a copy of its naming rules.
func topology(svc *schema.Service, namespace string) service.TopologyPlan {
	return service.Topology(service.Config{Namespace: namespace, Contract: contractOf(svc)})
}

// contractOf is the runtime.Contract the generated package of svc holds.
func contractOf(svc *schema.Service) runtime.Contract {
	c := runtime.Contract{Service: svc.Name}
	for _, ev := range svc.Events {
		c.Publishes = append(c.Publishes, eventInfo(ev))
	}
	for _, cd := range svc.Consumes {
		c.Consumes = append(c.Consumes, eventInfo(cd.Event))
	}
	return c
}

func eventInfo(ev *schema.Event) runtime.EventInfo {
	info := runtime.EventInfo{Producer: ev.Service.Name, Name: ev.Name, Type: ev.Type, Version: ev.Version}
	if ev.Key != nil {
		info.Key = ev.Key.Name
	}
	return info
}

// routingKey is the routing key of ev's messages, "users.UserRegistered.v1".
func routingKey(ev *schema.Event) string { return runtime.RoutingKey(ev.Type, ev.Version) }
