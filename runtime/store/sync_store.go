package store

import "context"

// LogPositions is implemented by stores that remember how far each
// consumer has read each producer's event log, so that an interrupted Sync
// resumes after the last event it committed instead of starting over. The
// SQL stores and the memory store implement it; with a store that does not,
// Sync still works but an interrupted one starts again from its SyncFrom.
type LogPositions interface {
	// LogPosition returns the offset in log of the last event consumer
	// committed through a sync; ok is false when it never did.
	LogPosition(ctx context.Context, consumer, log string) (offset int64, ok bool, err error)
}

// LogPositionTx is implemented by the inbox transactions of LogPositions
// stores: the position is written in the transaction that claims the event
// and holds the handler's writes, so the three commit together.
type LogPositionTx interface {
	// SetLogPosition records offset as consumer's position in log when
	// the transaction commits, unless the committed position is already
	// past it: positions only move forward, since replicas syncing the
	// same log commit in any order.
	SetLogPosition(ctx context.Context, consumer, log string, offset int64) error
}
