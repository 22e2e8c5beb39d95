package service

import amqptransport "github.com/evgenhq/evgen/runtime/transport/amqp"

// The broker names the runtime gives a service's exchange and queues, for
// tools that describe the topology without declaring it (evgen topology):
// each is the name Topology, the consumer, RequestResync and Sync use.
// An empty namespace means the default one, as in Config.

// ExchangeName is the topic exchange producer publishes its events to.
func ExchangeName(namespace, producer string) string {
	return namesOf(namespace).exchange(producer)
}

// QueueName is the queue service consumes its events from.
func QueueName(namespace, service string) string { return namesOf(namespace).queue(service) }

// OldQueueName is the name runtimes before the ".queue" suffix gave
// service's queue ("<namespace>.<service>", a producer's exchange name
// too): a service that finds a queue of that name moves its events into
// its queue and deletes it (see docs/recovery.md), for which its broker
// user needs every right on that name.
func OldQueueName(namespace, service string) string { return namesOf(namespace).oldQueue(service) }

// DeadLetterQueueName is where service's rejected deliveries go.
func DeadLetterQueueName(namespace, service string) string {
	return namesOf(namespace).deadLetterQueue(service)
}

// EventLogName is the stream that keeps every event producer publishes,
// which consumers read with Service.Sync.
func EventLogName(namespace, producer string) string {
	return namesOf(namespace).eventLog(producer)
}

// ResyncQueueName is the queue where producer takes requests to
// re-announce its state (Service.RequestResync sends them there).
func ResyncQueueName(namespace, producer string) string {
	return namesOf(namespace).resyncQueue(producer)
}

// QueueArguments are the arguments the runtime declares q with, for a
// tool that writes definitions the runtime's own declarations must match
// (RabbitMQ refuses a queue declared again with other arguments); see
// amqp.QueueArguments of runtime/transport/amqp.
func QueueArguments(q QueueSpec) map[string]any { return amqptransport.QueueArguments(q) }

func namesOf(namespace string) names {
	if namespace == "" {
		namespace = DefaultNamespace
	}
	return names{namespace}
}
