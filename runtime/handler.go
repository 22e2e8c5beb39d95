package runtime

import "context"

// Registrar takes typed handlers: a Service, or a test double.
type Registrar interface {
	Register(h EventHandler) error
}

// EventHandler handles one event type. Build it with On; generated
// RegisterHandlers functions do.
type EventHandler struct {
	Type    string // "users.UserRegistered"
	Version int
	// Handle decodes payload and calls the typed handler. A payload that does
	// not decode or validate returns an error wrapped by Permanent.
	Handle func(ctx context.Context, payload []byte, m Meta) error
}
