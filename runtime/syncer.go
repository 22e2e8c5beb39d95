package runtime

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Syncer reads a producer's event log through a service's handlers and
// inbox. The engine's Service (runtime/service) implements it; generated
// SyncFrom<Producer> functions take one, so that this package does not import the
// engine.
type Syncer interface {
	Sync(ctx context.Context, producer string, from SyncFrom, opts SyncOptions) (SyncProgress, error)
}

// SyncOptions adjust a Sync. The zero value is usable.
type SyncOptions struct {
	// Restart ignores the position the service stored by an earlier sync
	// of this producer's log and reads from the given SyncFrom again. By
	// default a stored position wins: the sync resumes after it.
	Restart bool
	// Progress, when set, is called every ProgressEvery and once at the
	// end, from the syncing goroutine: keep it quick. ProgressBar draws
	// a terminal bar with it.
	Progress func(SyncProgress)
	// ProgressEvery is how often progress is reported (logged, and passed
	// to Progress); default 1s.
	ProgressEvery time.Duration
	// Prefetch is how many log messages the broker sends ahead; default
	// 256.
	Prefetch int
}

// SyncProgress is how far a sync has read a producer's event log.
type SyncProgress struct {
	Producer string
	// First and Offset are the offsets of the first and the latest message
	// read; -1 before any.
	First, Offset int64
	// Tail is the offset of this sync's marker, the log's end as of the
	// start; -1 while unknown (the estimate then stays empty).
	Tail int64
	// Read counts the log's messages read so far, of every kind.
	Read int64
	// Applied, Duplicates, Skipped and DeadLettered split the events read:
	// handled, dropped by the inbox as applied before, not consumed by
	// this service, and moved to its dead-letter queue.
	Applied, Duplicates, Skipped, DeadLettered int64
	Elapsed                                    time.Duration
	Rate                                       float64 // messages read per second
	Done                                       bool    // the sync read its marker
}

// Total is about how many messages the sync reads in all (the marker
// included), or -1 while unknown.
func (p SyncProgress) Total() int64 {
	if p.Tail < 0 || p.First < 0 {
		return -1
	}
	return max(p.Tail-p.First+1, p.Read)
}

// Left estimates the time to the end at the current rate; -1 when unknown.
func (p SyncProgress) Left() time.Duration {
	total := p.Total()
	if p.Done {
		return 0
	}
	if total < 0 || p.Rate <= 0 {
		return -1
	}
	return time.Duration(float64(total-p.Read) / p.Rate * float64(time.Second))
}

// String is one line for logs and terminals.
func (p SyncProgress) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d", p.Read)
	if t := p.Total(); t >= 0 {
		fmt.Fprintf(&b, "/%d (%d%%)", t, 100*p.Read/max(t, 1))
	}
	fmt.Fprintf(&b, " read, %d applied, %d duplicates, %d skipped", p.Applied, p.Duplicates, p.Skipped)
	if p.DeadLettered > 0 {
		fmt.Fprintf(&b, ", %d dead-lettered", p.DeadLettered)
	}
	fmt.Fprintf(&b, ", %.0f/s", p.Rate)
	if left := p.Left(); left > 0 {
		fmt.Fprintf(&b, ", %v left", left.Round(time.Second))
	}
	return b.String()
}
