package service

import (
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/store"
)

// Probe follows deliveries through a service's worker, for a test harness
// (evgentest) that must know when an event's inbox transaction committed
// or the event was dead-lettered, without polling, and that simulates a
// crash at the two points where one matters to the inbox. A production
// service has no use for it. Each function runs in the worker goroutine
// and may be nil; one that calls runtime.Goexit stops the worker there, as
// a crash would, leaving the delivery unacked.
type Probe struct {
	// BeforeCommit runs with the inbox transaction of an event (the last
	// of an ordered batch) whose handler returned nil, before the commit.
	BeforeCommit func(tx store.InboxTx, m runtime.Meta)
	// BeforeAck runs once an event's inbox transaction committed, or the
	// inbox found the event applied before, just before the ack.
	BeforeAck func(m runtime.Meta)
	// DeadLettered runs once an event is in the dead-letter queue, with
	// the reason, before its ack.
	DeadLettered func(m runtime.Meta, reason error)
}

// SetProbe installs p on s, before Run.
func SetProbe(s *Service, p Probe) {
	s.hooks = crashHooks{beforeCommit: p.BeforeCommit, beforeAck: p.BeforeAck, deadLettered: p.DeadLettered}
}
