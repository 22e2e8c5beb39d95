// Package runtime is what evgen-generated packages import: the typed event
// surface (Event, Meta, Publish, On), the service that declares a contract's
// RabbitMQ topology, publishes with confirms and consumes through an inbox,
// and the store interfaces behind the transactional inbox and outbox.
//
// Generated code stays thin: types and one-line wrappers. Behaviour lives
// here, tested once. The runtime never imports evgen's schema or templates.
package runtime
