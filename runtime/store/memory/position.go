package memory

import (
	"context"
	"fmt"

	"github.com/evgenhq/evgen/runtime/store"
)

// logPositionKey identifies a consumer's position in one event log.
type logPositionKey struct{ consumer, log string }

var (
	_ store.LogPositions  = (*memoryStore)(nil)
	_ store.LogPositionTx = (*memoryTx)(nil)
)

// LogPosition returns the committed position, kept in memory only.
func (s *memoryStore) LogPosition(_ context.Context, consumer, log string) (int64, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	off, ok := s.positions[logPositionKey{consumer, log}]
	return off, ok, nil
}

// SetLogPosition holds the position until the transaction commits.
func (tx *memoryTx) SetLogPosition(_ context.Context, consumer, log string, offset int64) error {
	tx.s.mu.Lock()
	defer tx.s.mu.Unlock()
	if tx.done {
		return fmt.Errorf("set log position: transaction already ended")
	}
	if tx.positions == nil {
		tx.positions = map[logPositionKey]int64{}
	}
	tx.positions[logPositionKey{consumer, log}] = offset
	return nil
}

// commitPositions makes tx's positions visible, each only if it moves the
// committed one forward (see LogPositionTx); s.mu must be held.
func (tx *memoryTx) commitPositions() {
	if len(tx.positions) == 0 {
		return
	}
	if tx.s.positions == nil {
		tx.s.positions = map[logPositionKey]int64{}
	}
	for k, off := range tx.positions {
		if cur, ok := tx.s.positions[k]; !ok || off > cur {
			tx.s.positions[k] = off
		}
	}
}
