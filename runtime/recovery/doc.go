// Package recovery holds the operator's tools, which run beside a service
// rather than inside it: DeadLetters lists, redrives and drops the events
// in a service's dead-letter queue (the `evgen dlq` command is a thin
// layer over it). The service's own dead-lettering of a delivery it cannot
// handle is the engine's, in runtime/service.
package recovery
