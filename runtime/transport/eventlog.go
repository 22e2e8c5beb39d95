package transport

import (
	"context"
	"errors"

	"github.com/evgenhq/evgen/runtime"
)

// ErrNoEventLog is wrapped in the error of Service.Sync when there is no
// event log to read: the Binding is no EventLog, or the producer keeps no
// log (it never ran with a runtime that declares one, or its
// Config.EventLog.Disabled is set). An EventLog's OpenLog wraps it for the
// second case.
var ErrNoEventLog = errors.New("no event log to sync from")

// EventLog is a Binding that keeps every event a producer publishes in a
// log a consumer can read again from any position the log still holds (a
// RabbitMQ stream, a NATS JetStream stream). Service.Sync reads it; a
// Binding that is no EventLog makes Sync fail with ErrNoEventLog.
//
// # Positions
//
// A position is an entry's place in one producer's log: an int64, at
// least 0, that grows strictly in log order and never changes for an
// entry, though it need not grow by one (a RabbitMQ stream offset, a
// JetStream stream sequence). The engine stores, with each applied event,
// the position it was read at, and resumes a later read with
// runtime.SyncFromOffset(stored + 1).
type EventLog interface {
	// LogName names producer's log: the key under which the engine stores
	// the service's position in it (store.LogPositions), and the log's
	// name in logs. It must stay the same across restarts and releases, or
	// a stored position is lost.
	LogName(producer string) string
	// OpenLog starts reading producer's log at from, taking up to prefetch
	// entries ahead of the engine.
	//
	// Before it fixes the tail, OpenLog makes sure the service's own
	// subscription (the queue Consume reads) exists and keeps every event
	// published from then on, so that an event appended after the tail
	// reaches the service live: nothing falls between the log and the
	// queue (events found in both are applied once, the inbox drops the
	// second copy). It then fixes the tail, the log's end as of the call.
	//
	// From is where the read starts: SyncFromStart at the oldest entry the
	// log still holds; SyncFromOffset(p) at the first entry whose position
	// is p or more (never an earlier one: a reader that the log positions
	// more coarsely skips the entries before p itself); SyncFromTime(t) at
	// the first entry written at t or later, or a little earlier where the
	// log indexes time coarsely (RabbitMQ: per chunk, to the second).
	//
	// When producer keeps no log, OpenLog fails with an error that wraps
	// ErrNoEventLog and says how to get one.
	OpenLog(ctx context.Context, producer string, from runtime.SyncFrom, prefetch int) (LogReader, error)
}

// LogReader is one read of a producer's log, from OpenLog's from to the
// tail OpenLog fixed. One goroutine uses it.
type LogReader interface {
	// Tail is the position of the End entry, when the reader knows it
	// before reaching it (for a progress estimate); false when it does not.
	Tail() (int64, bool)
	// Next waits for the log's next entry and returns it. Entries come in
	// log order, each once, the last one with End set; Next is not called
	// after it. When the log holds nothing between from and the tail, the
	// first entry is the End, without waiting for new ones. It fails when ctx ends or the reader is lost (a broken
	// connection): the read is over then, and a new OpenLog from the last
	// stored position resumes it. So delivery is at least once across
	// reads: an entry returned but not yet stored as applied comes again,
	// and the engine's inbox drops what it applied before.
	Next(ctx context.Context) (LogEntry, error)
	// Close ends the read and releases what it holds. It loses nothing:
	// a log keeps its entries whatever a reader does.
	Close() error
}

// LogEntry is one entry of a producer's log.
type LogEntry struct {
	// Position is the entry's place in the log (see EventLog).
	Position int64
	// Delivery is the event at Position, or nil for an entry that holds
	// none (in a RabbitMQ stream, another sync's marker), which the
	// reader settled itself. The engine settles an event once, as any
	// Delivery, except that a log keeps its entries: Ack only lets the
	// reader go on (it grants credit), and Nack fails without effect, as
	// there is nothing to put back. DeadLetter copies the event into the
	// service's dead-letter queue.
	Delivery Delivery
	// End is set on the last entry of the read: the tail as of OpenLog,
	// whose Position the engine stores so that the next read starts after
	// it. It may hold the last event (a log that knows its last position)
	// or none (an entry the reader appended to find the tail, a RabbitMQ
	// sync marker).
	End bool
}
