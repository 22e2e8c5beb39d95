// Package evgentest helps a service's own test suite.
//
// Start runs a service's handlers, registered through its generated
// package, in a real service.Service on the in-process transport with a
// SQLite inbox and outbox in memory, so that service.Tx and
// service.TxPublisher work as in production. Deliver hands it an event as
// its producer would publish it (the producer's events are known from the
// generated Contract, so no producer needs faking) and returns once the
// event's inbox transaction committed or the event was dead-lettered: what
// the handler published, or why it failed. CrashAndRedeliver kills the
// worker before the commit or between commit and ack and delivers again.
//
// Check is the duplicate-and-reorder checker: it applies a list of events
// straight, then with every event delivered twice around a crash, then in
// the orders the contracts allow, and fails the test with the first
// sequence whose final state differs from the straight run.
//
// CheckGenerated fails a test when generated code is stale.
//
// docs/testing.md shows them at work.
package evgentest
