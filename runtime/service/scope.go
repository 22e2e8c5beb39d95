package service

import (
	"context"
	"database/sql"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/store"
)

// scope is what a handler's context carries: the event being handled and
// the inbox transaction it is handled in.
type scope struct {
	meta   runtime.Meta
	tx     store.InboxTx
	outbox store.Outbox
	// pending holds what the handler published when the store has no SQL
	// transaction (the memory store): the service hands it to the outbox
	// only after the inbox commit, so a failed handler publishes nothing.
	pending []*message.Message
	// reactions checks what the handler publishes against its contract's
	// emits; nil outside a service's handler.
	reactions *reactions
	// maxEventBytes is Config.MaxEventBytes, checked as the handler
	// publishes.
	maxEventBytes int
}

// Incoming is the event being handled (runtime.Handling).
func (s *scope) Incoming() runtime.Meta { return s.meta }

// Published checks an event the handler published against its contract's
// emits (runtime.Handling).
func (s *scope) Published(ctx context.Context, emitted string) {
	if s.reactions != nil {
		s.reactions.published(ctx, s.meta.Type, emitted)
	}
}

func withScope(ctx context.Context, s *scope) context.Context {
	return runtime.WithHandling(ctx, s)
}

// scopeFrom is the scope of the handler ctx belongs to; nil outside one.
func scopeFrom(ctx context.Context) *scope {
	s, _ := runtime.HandlingFrom(ctx).(*scope)
	return s
}

// Tx returns the handler's inbox transaction, so that the handler's own
// writes commit together with the record that the event was applied. It is
// nil outside a handler and with a store that has no SQL database (the
// memory store).
func Tx(ctx context.Context) *sql.Tx {
	s := scopeFrom(ctx)
	if s == nil || s.tx == nil {
		return nil
	}
	return s.tx.SQL()
}

// TxPublisher returns a Publisher that writes through the store's outbox
// in the handler's transaction: events a handler publishes commit with its
// writes and its inbox record, and are relayed to the broker afterwards.
// With the memory store they are held until the inbox commit. Outside a
// handler its Publish returns ErrNotInHandler.
func TxPublisher(ctx context.Context) runtime.Publisher {
	s := scopeFrom(ctx)
	switch {
	case s == nil || s.tx == nil || s.outbox == nil:
		return notInHandler{}
	case s.tx.SQL() == nil:
		return sizeLimited{heldPublisher{s}, s.maxEventBytes}
	default:
		return sizeLimited{s.outbox.Publisher(s.tx.SQL()), s.maxEventBytes}
	}
}

// heldPublisher keeps a handler's events in its scope until the commit.
type heldPublisher struct{ s *scope }

func (h heldPublisher) Publish(_ context.Context, msgs ...*message.Message) error {
	h.s.pending = append(h.s.pending, msgs...)
	return nil
}

type notInHandler struct{}

func (notInHandler) Publish(context.Context, ...*message.Message) error { return ErrNotInHandler }
