package asyncapi

import (
	"github.com/evgenhq/evgen/internal/ordered"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/schema"
)

// operations are a send per event svc publishes and a receive per event
// it consumes, each on one message, with the routing key as AMQP cc.
func operations(svc *schema.Service) *ordered.Map {
	ops := ordered.New()
	for _, ev := range own(svc) {
		ops.Set("send."+messageID(ev), operation("send", chExchange, ev,
			svc.Name+" publishes "+versionText(ev)+", persistent.", "deliveryMode", 2))
	}
	for _, ev := range consumed(svc) {
		ops.Set("receive."+messageID(ev), operation("receive", chQueue, ev,
			svc.Name+" consumes "+versionText(ev)+" from "+ev.Service.Name+", acknowledging each delivery.", "ack", true))
	}
	return ops
}

// operation is one send or receive of ev on channel; its AMQP binding
// names the routing key (cc) and one more setting, key: val.
func operation(action, channel string, ev *schema.Event, summary, key string, val any) *ordered.Map {
	binding := ordered.New().Set("cc", []string{runtime.RoutingKey(ev.Type, ev.Version)}).Set(key, val)
	return ordered.New().
		Set("action", action).
		Set("channel", ref("#/channels/"+channel)).
		Set("summary", summary).
		Set("messages", []any{ref("#/channels/" + channel + "/messages/" + messageID(ev))}).
		Set("bindings", amqp(binding))
}
