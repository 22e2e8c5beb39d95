package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/transport"
)

// headerResyncRequest marks an answer to a resync request with the
// request's ID, so logs and dead-letter listings can tell snapshots apart.
const headerResyncRequest = "x-evgen-resync-request"

// resyncBatch is how many snapshot events are published before waiting for
// their confirms: enough to pipeline, few enough to bound memory.
const resyncBatch = 200

// serveResync answers resync requests from the service's resync queue
// until ctx ends, consuming again when the consumer is lost. A service
// that publishes nothing, or whose transport consumes no single queue
// (the in-process one), has no queue.
func (s *Service) serveResync(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	qc, ok := s.capabilities().(transport.QueueConsumer)
	if !ok || len(s.cfg.Contract.Publishes) == 0 {
		return
	}
	queue := s.names().resyncQueue(s.cfg.Contract.Service)
	for attempt := 1; ctx.Err() == nil; attempt++ {
		if err := qc.ConsumeQueue(ctx, queue, s.settleResync); err != nil && ctx.Err() == nil {
			s.log.Warn("resync requests: consumer stopped, reconnecting", "err", err)
			sleep(ctx, s.cfg.Connect.delay(attempt))
		} else {
			attempt = 0
		}
	}
}

// settleResync answers d and acks it. A failure that may pass (a database
// or broker error) is retried in place with the service's retry policy;
// once the attempts are used up, or at once for a permanent failure, the
// request is dropped with an ERROR log and counted, so that one request
// that keeps failing does not block every later one. The requester may
// ask again. Shutdown during a wait puts the request back on the queue.
func (s *Service) settleResync(ctx context.Context, d transport.Delivery) {
	req := d.Message()
	for attempt := 1; ; attempt++ {
		n, err := s.answerResync(ctx, req)
		if err == nil {
			s.log.Info("resync request answered", "request_id", req.UUID, "events", n)
			s.ackResync(d)
			return
		}
		if runtime.IsPermanent(err) || attempt >= s.cfg.Retry.MaxAttempts {
			s.log.Error("resync request dropped; the requester may ask again", "request_id", req.UUID, "attempts", attempt, "err", err)
			s.metrics.resyncDropped.WithLabelValues(s.cfg.Contract.Service).Inc()
			s.ackResync(d)
			return
		}
		wait := s.cfg.Retry.delay(attempt)
		s.log.Warn("resync request failed, retrying", "request_id", req.UUID, "attempt", attempt, "retry_in", wait, "err", err)
		if !sleep(ctx, wait) {
			if err := d.Nack(true); err != nil {
				s.log.Warn("requeue resync request", "request_id", req.UUID, "err", err)
			}
			return
		}
	}
}

func (s *Service) ackResync(d transport.Delivery) {
	if err := d.Ack(); err != nil {
		s.log.Warn("ack resync request", "request_id", d.Message().UUID, "err", err)
	}
}

// answerResync publishes the snapshots request asks for to the
// requester's queue and returns how many events it sent.
func (s *Service) answerResync(ctx context.Context, request *message.Message) (int, error) {
	var req resyncRequest
	if err := json.Unmarshal(request.Payload, &req); err != nil {
		return 0, runtime.Permanent(fmt.Errorf("decode request: %w", err))
	}
	if !namePattern.MatchString(req.Service) {
		return 0, runtime.Permanent(fmt.Errorf("request names no valid service (%q)", req.Service))
	}
	qs, ok := s.capabilities().(transport.QueueSender)
	if !ok {
		return 0, runtime.Permanent(ErrNoResync)
	}
	a := &resyncAnswer{ctx: ctx, s: s, qs: qs, reply: s.names().queue(req.Service), request: request}
	for _, key := range req.Events {
		p, ok := s.snapshotProvider(key)
		if !ok {
			continue // not a snapshot event, or none registered: nothing to re-announce
		}
		if err := p.Emit(ctx, req.Keys, a.add); err != nil {
			return a.sent, fmt.Errorf("snapshot %s for %s: %w", key, req.Service, err)
		}
		if err := a.flush(ctx); err != nil {
			return a.sent, err
		}
	}
	if len(req.Events) > 0 && a.sent == 0 && len(s.snapshotKeys()) == 0 {
		s.log.Warn("resync requested but no snapshot source is registered: call the generated RegisterSnapshots", "requester", req.Service)
	}
	return a.sent, nil
}

func (s *Service) snapshotProvider(key string) (runtime.SnapshotProvider, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.snapshots[key]
	return p, ok
}

func (s *Service) snapshotKeys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.snapshots))
	for k := range s.snapshots {
		keys = append(keys, k)
	}
	return keys
}

// resyncAnswer collects the snapshot events of one request and publishes
// them in confirmed batches to the requester's queue.
type resyncAnswer struct {
	ctx     context.Context
	s       *Service
	qs      transport.QueueSender
	reply   string
	request *message.Message
	batch   []*message.Message
	sent    int
}

// add encodes e as a new event in the request's conversation.
func (a *resyncAnswer) add(e runtime.Event) error {
	corr := a.request.Metadata.Get(runtime.HeaderCorrelationID)
	if corr == "" {
		corr = a.request.UUID
	}
	msg, err := runtime.NewMessage(a.ctx, e, runtime.WithCorrelationID(corr))
	if err != nil {
		return err
	}
	msg.Metadata[runtime.HeaderCausationID] = a.request.UUID
	msg.Metadata[headerResyncRequest] = a.request.UUID
	if err := a.s.stamp(msg); err != nil {
		return err
	}
	a.batch = append(a.batch, msg)
	if len(a.batch) >= resyncBatch {
		return a.flush(a.ctx)
	}
	return nil
}

// flush publishes the batch and waits for its confirms. A requester whose
// queue does not exist cannot be answered: that is permanent.
func (a *resyncAnswer) flush(ctx context.Context) error {
	if len(a.batch) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, a.s.cfg.PublishTimeout)
	defer cancel()
	err := a.qs.SendToQueue(ctx, a.reply, a.batch)
	if errors.Is(err, ErrUnroutable) {
		return runtime.Permanent(fmt.Errorf("requester's queue %s does not exist: %w", a.reply, err))
	}
	if err != nil {
		return fmt.Errorf("publish snapshots to %s: %w", a.reply, err)
	}
	a.sent += len(a.batch)
	a.batch = a.batch[:0]
	return nil
}
