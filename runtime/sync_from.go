package runtime

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SyncFrom says where in a producer's event log a sync starts when the
// service has no position there yet. The zero value is SyncFromStart.
type SyncFrom struct {
	at     time.Time
	offset int64
	kind   syncFromKind
}

type syncFromKind int

const (
	fromStart syncFromKind = iota
	fromTime
	fromOffset
)

// SyncFromStart reads the whole log, as far back as its retention keeps.
func SyncFromStart() SyncFrom { return SyncFrom{} }

// SyncFromTime reads events the broker wrote at t or later. Streams index
// time per chunk of messages with one-second resolution, so a few events
// from just before t may be read too; the inbox and per-entity versions
// make that harmless.
func SyncFromTime(t time.Time) SyncFrom { return SyncFrom{kind: fromTime, at: t} }

// SyncFromOffset reads from the event at offset, as shown by a previous
// sync's progress or by `rabbitmq-streams`.
func SyncFromOffset(offset int64) SyncFrom { return SyncFrom{kind: fromOffset, offset: offset} }

// ParseSyncFrom reads the command-line form of a SyncFrom: "start", a time
// in RFC 3339 ("2026-01-02T15:04:05Z"), a duration ago ("90m": from 90
// minutes ago), or an offset (a non-negative integer).
func ParseSyncFrom(s string) (SyncFrom, error) {
	s = strings.TrimSpace(s)
	if s == "start" || s == "first" {
		return SyncFromStart(), nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 {
		return SyncFromOffset(n), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return SyncFromTime(t), nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return SyncFromTime(time.Now().Add(-d)), nil
	}
	return SyncFrom{}, fmt.Errorf("sync from %q: want \"start\", an RFC 3339 time (2026-01-02T15:04:05Z), a duration ago (90m) or an offset (0, 1234)", s)
}

// String is the form ParseSyncFrom reads.
func (f SyncFrom) String() string {
	switch f.kind {
	case fromTime:
		return f.at.UTC().Format(time.RFC3339)
	case fromOffset:
		return strconv.FormatInt(f.offset, 10)
	}
	return "start"
}

// Time is the time f starts at, when it is a SyncFromTime.
func (f SyncFrom) Time() (time.Time, bool) { return f.at, f.kind == fromTime }

// Offset is the offset f starts at, when it is a SyncFromOffset.
func (f SyncFrom) Offset() (int64, bool) { return f.offset, f.kind == fromOffset }
