package service

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/transport"
)

// Re-announcing current state. When a producer's log no longer reaches
// back far enough (or a consumer wants a fresh copy of some entities), the
// consumer asks the producer to publish again its snapshot events: those
// the contract marks `snapshot: true`, which carry an entity's full state.
//
// A request goes through the default exchange to the producer's resync
// queue, "<namespace>.<producer>.resync", which every publishing service
// declares with its topology and consumes while it runs; a request sent
// while the producer is down waits there. The answer goes through the
// default exchange too, straight to the requester's queue: no other
// consumer sees it, and the event log does not keep it. Answers are new
// events (fresh IDs, the request's correlation ID), handled by the same
// handlers as live events: the per-entity version they carry keeps a
// snapshot from overwriting a newer change.

// RegisterSnapshot adds the provider of one of the service's own events,
// before Run. Run then answers resync requests for that event type.
func (s *Service) RegisterSnapshot(p runtime.SnapshotProvider) error {
	key := runtime.RoutingKey(p.Type, p.Version)
	if p.Emit == nil {
		return fmt.Errorf("snapshot provider for %s v%d has no Emit function", p.Type, p.Version)
	}
	if !s.publishes[key] {
		return fmt.Errorf("service %s does not publish %s v%d: a snapshot must be one of its own events", s.cfg.Contract.Service, p.Type, p.Version)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		return fmt.Errorf("snapshot provider for %s v%d registered after Run started", p.Type, p.Version)
	}
	if s.snapshots == nil {
		s.snapshots = map[string]runtime.SnapshotProvider{}
	}
	if _, dup := s.snapshots[key]; dup {
		return fmt.Errorf("snapshot provider for %s v%d registered twice", p.Type, p.Version)
	}
	s.snapshots[key] = p
	return nil
}

// resyncRequest is the body of a request to re-announce state.
type resyncRequest struct {
	Service string   `json:"service"`        // the requesting service: answers go to its queue
	Events  []string `json:"events"`         // routing keys the requester consumes from the producer
	Keys    []string `json:"keys,omitempty"` // entities to re-announce; all when empty
}

// RequestResync asks producer to publish again the current state of its
// entities (only those with the given keys, when any) to this service's
// queue alone, as the snapshot events this service consumes from it. It
// returns once the broker holds the request in producer's resync queue;
// the answers arrive through the service's queue and its handlers like
// any event. The request carries the correlation ID of the handler it is
// sent from, or a new one, which every answer carries too.
func (s *Service) RequestResync(ctx context.Context, producer string, keys ...string) error {
	qs, ok := s.capabilities().(transport.QueueSender)
	if !ok {
		return fmt.Errorf("runtime: service %s: resync from %s: %w", s.cfg.Contract.Service, producer, ErrNoResync)
	}
	req := resyncRequest{Service: s.cfg.Contract.Service, Keys: keys}
	for _, e := range s.cfg.Contract.Consumes {
		if e.Producer == producer {
			req.Events = append(req.Events, runtime.RoutingKey(e.Type, e.Version))
		}
	}
	if len(req.Events) == 0 {
		return fmt.Errorf("runtime: service %s consumes no event of %q: nothing to resync", s.cfg.Contract.Service, producer)
	}
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("runtime: encode resync request: %w", err)
	}
	id := uuid.NewString()
	corr := id
	if in, ok := runtime.IncomingMeta(ctx); ok && in.CorrelationID != "" {
		corr = in.CorrelationID
	}
	msg := message.NewMessage(id, body)
	msg.Metadata.Set(runtime.HeaderCorrelationID, corr)
	queue := s.names().resyncQueue(producer)
	if err := qs.SendToQueue(ctx, queue, []*message.Message{msg}); err != nil {
		return fmt.Errorf("runtime: service %s: send resync request to %s (queue %s; has %s ever run?): %w", s.cfg.Contract.Service, producer, queue, producer, err)
	}
	s.log.Info("resync requested", "producer", producer, "keys", len(keys), "request_id", id)
	return nil
}
