package runtime

import "context"

// Handling is what a service puts in the context of a handler it calls:
// the event being handled, and a check of what the handler publishes
// against the events its contract declares it emits. Publish reads it to
// carry the conversation over; the engine (runtime/service) implements it.
// Handlers have no need for it: IncomingMeta reads the event.
type Handling interface {
	// Incoming is the metadata of the event being handled.
	Incoming() Meta
	// Published is told each event type the handler publishes.
	Published(ctx context.Context, emitted string)
}

type handlingKey struct{}

// WithHandling returns ctx carrying h, for the engine that calls handlers.
func WithHandling(ctx context.Context, h Handling) context.Context {
	return context.WithValue(ctx, handlingKey{}, h)
}

// HandlingFrom returns what WithHandling put in ctx; nil outside a handler.
func HandlingFrom(ctx context.Context) Handling {
	h, _ := ctx.Value(handlingKey{}).(Handling)
	return h
}

// IncomingMeta returns the metadata of the event whose handler ctx belongs
// to; false outside a handler.
func IncomingMeta(ctx context.Context) (Meta, bool) {
	h := HandlingFrom(ctx)
	if h == nil {
		return Meta{}, false
	}
	return h.Incoming(), true
}
