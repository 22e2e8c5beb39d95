package asyncapi

import (
	"github.com/evgenhq/evgen/internal/ordered"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/schema"
)

// Channel ids of the document.
const (
	chExchange   = "exchange"
	chQueue      = "queue"
	chDeadLetter = "deadLetterQueue"
)

// channels are svc's exchange, when it publishes, and its queue and
// dead-letter queue, when it consumes.
func channels(svc *schema.Service, n names) *ordered.Map {
	ch := ordered.New()
	if evs := own(svc); len(evs) > 0 {
		ch.Set(chExchange, ordered.New().
			Set("address", n.exchange).
			Set("title", "The "+svc.Name+" exchange").
			Set("description", "The topic exchange "+svc.Name+" publishes its events to, each with the routing key <producer>.<Event>.v<version>.").
			Set("messages", messageRefs(evs)).
			Set("bindings", amqp(exchangeBinding(n.exchange))))
	}
	if evs := consumed(svc); len(evs) > 0 {
		ch.Set(chQueue, ordered.New().
			Set("address", n.queue).
			Set("title", "The "+svc.Name+" queue").
			Set("description", "The queue "+svc.Name+" consumes from, bound to each producer's exchange (<namespace>.<producer>) with the routing key of each event it consumes. A delivery its handler rejects for good goes to "+n.dlq+".").
			Set("messages", messageRefs(evs)).
			Set("bindings", amqp(queueBinding(n.queue))))
		ch.Set(chDeadLetter, ordered.New().
			Set("address", n.dlq).
			Set("title", "The "+svc.Name+" dead-letter queue").
			Set("description", "Where "+svc.Name+" sets aside the events it could not handle, with the headers "+
				service.HeaderDLQError+", "+service.HeaderDLQAttempts+", "+service.HeaderDLQExchange+", "+
				service.HeaderDLQRoutingKey+" and "+service.HeaderDLQTime+" added; `evgen dlq` lists, redrives and drops them.").
			Set("messages", messageRefs(evs)).
			Set("bindings", amqp(queueBinding(n.dlq))))
	}
	return ch
}

// messageRefs is a channel's messages, each referring to its component.
func messageRefs(evs []*schema.Event) *ordered.Map {
	m := ordered.New()
	for _, ev := range evs {
		m.Set(messageID(ev), ref("#/components/messages/"+messageID(ev)))
	}
	return m
}

// amqp wraps a binding as a bindings object.
func amqp(b *ordered.Map) *ordered.Map {
	return ordered.New().Set("amqp", b.Set("bindingVersion", bindingVersion))
}

func exchangeBinding(name string) *ordered.Map {
	return ordered.New().Set("is", "routingKey").Set("exchange", ordered.New().
		Set("name", name).
		Set("type", "topic").
		Set("durable", true).
		Set("autoDelete", false).
		Set("vhost", "/"))
}

func queueBinding(name string) *ordered.Map {
	return ordered.New().Set("is", "queue").Set("queue", ordered.New().
		Set("name", name).
		Set("durable", true).
		Set("exclusive", false).
		Set("autoDelete", false).
		Set("vhost", "/"))
}
