// Package asyncapi renders the AsyncAPI 3.0 document of one service: the
// RabbitMQ exchange it publishes to and the queues it consumes from, with
// the names and routing keys the runtime declares (service.Topology), a
// send operation per event it publishes, a receive operation per event it
// consumes, and each message's payload schema (package
// templates/jsonschema) and CloudEvents headers.
//
// The document is YAML: AsyncAPI's own examples and tools (Studio, the
// generator) default to it, and a contract's multi-line docs stay
// readable as block scalars. Members keep a fixed order, so the same
// contracts give the same bytes. Generation is pure; cmd writes.
package asyncapi
