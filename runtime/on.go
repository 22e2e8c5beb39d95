package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// On adapts a typed handler function to an EventHandler. The event type
// and version come from T's zero value. Handle decodes the payload into T
// (generated UnmarshalJSON methods check required fields and enums) and
// validates it; a payload that fails either is a Permanent error, so the
// event goes to the dead-letter queue at once instead of being retried.
func On[T any, PT interface {
	*T
	Event
}](fn func(context.Context, T, Meta) error) EventHandler {
	var zero T
	typ, ver := PT(&zero).EventType(), PT(&zero).EventVersion()
	return EventHandler{
		Type:    typ,
		Version: ver,
		Handle: func(ctx context.Context, payload []byte, m Meta) error {
			var v T
			if err := json.Unmarshal(payload, PT(&v)); err != nil {
				return Permanent(fmt.Errorf("decode %s v%d: %w", typ, ver, err))
			}
			if err := PT(&v).Validate(); err != nil {
				return Permanent(fmt.Errorf("invalid %s v%d: %w", typ, ver, err))
			}
			return fn(ctx, v, m)
		},
	}
}

// RegisterAll registers every handler with r and reports every failure
// (such as two handlers for one event type) in one error.
func RegisterAll(r Registrar, hs ...EventHandler) error {
	var errs []error
	for _, h := range hs {
		if err := r.Register(h); err != nil {
			errs = append(errs, fmt.Errorf("register %s v%d: %w", h.Type, h.Version, err))
		}
	}
	return errors.Join(errs...)
}
