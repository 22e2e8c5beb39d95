package memory

import (
	"context"
	"slices"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/evgenhq/evgen/runtime/store"
)

var _ interface {
	store.SetAsideOutbox
	store.OutboxOwner
} = (*memoryStore)(nil)

// setAsideRow is m set aside now for reason.
func setAsideRow(m *message.Message, reason error) store.SetAsideRow {
	return store.SetAsideRow{ID: m.UUID, Payload: m.Payload, Metadata: m.Metadata, Reason: reason.Error(), At: time.Now()}
}

// ListSetAside returns copies of the set-aside events, oldest first.
func (s *memoryStore) ListSetAside(context.Context) ([]store.SetAsideRow, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rows := make([]store.SetAsideRow, len(s.setAside))
	for i, r := range s.setAside {
		r.Metadata = r.Message().Metadata
		rows[i] = r
	}
	return rows, nil
}

// RetrySetAside queues the events again, at the end of the outbox.
func (s *memoryStore) RetrySetAside(_ context.Context, ids ...string) (int, error) {
	s.mu.Lock()
	rows, err := s.takeSetAside(ids)
	for _, r := range rows {
		s.outbox = append(s.outbox, r.Message())
	}
	s.mu.Unlock()
	if len(rows) > 0 {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
	return len(rows), err
}

// DropSetAside forgets the events.
func (s *memoryStore) DropSetAside(_ context.Context, ids ...string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rows, err := s.takeSetAside(ids)
	return len(rows), err
}

// takeSetAside removes and returns the rows of ids, in the order of ids,
// or nothing when one of them is not set aside; s.mu must be held.
func (s *memoryStore) takeSetAside(ids []string) ([]store.SetAsideRow, error) {
	var missing []string
	for _, id := range ids {
		if !slices.ContainsFunc(s.setAside, func(r store.SetAsideRow) bool { return r.ID == id }) {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return nil, store.NotSetAside(missing)
	}
	var rows []store.SetAsideRow
	for _, id := range ids {
		i := slices.IndexFunc(s.setAside, func(r store.SetAsideRow) bool { return r.ID == id })
		if i < 0 {
			continue // listed twice
		}
		rows = append(rows, s.setAside[i])
		s.setAside = slices.Delete(s.setAside, i, i+1)
	}
	return rows, nil
}

// ClaimOutbox records service as the relaying service, or fails if another
// one relays this store's outbox.
func (s *memoryStore) ClaimOutbox(_ context.Context, service string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.owner == "" {
		s.owner = service
	}
	if s.owner != service {
		return store.OutboxOwnedError("the memory store's outbox", s.owner, service, "use a new memory store")
	}
	return nil
}
