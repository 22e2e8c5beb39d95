// Package topology describes, from a contract set, what each service
// declares on RabbitMQ (its exchange, queues, bindings and event log) and
// the least-privilege permissions of a broker user per service, for
// operators who give each service its own user. It asks the runtime for
// every name and argument (service.Topology and the runtime's naming
// functions), so it cannot disagree with what a running service declares.
//
// It does no I/O: Build makes the model, and Text, JSON and Definitions
// render it; the evgen topology command prints them.
package topology
