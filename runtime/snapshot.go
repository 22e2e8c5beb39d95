package runtime

import (
	"context"
	"errors"
	"fmt"
)

// SnapshotProvider answers resync requests for one snapshot event type.
// Generated RegisterSnapshots functions build them with SnapshotOf.
type SnapshotProvider struct {
	Type    string // "users.UserRegistered"
	Version int
	// Emit calls emit with the current state of every entity, or only of
	// the entities whose keys are in keys when keys is not empty. An error
	// from emit must be returned.
	Emit func(ctx context.Context, keys []string, emit func(Event) error) error
}

// SnapshotRegistrar takes snapshot providers: a Service, or a test double.
type SnapshotRegistrar interface {
	RegisterSnapshot(p SnapshotProvider) error
}

// SnapshotOf adapts a typed snapshot function to a SnapshotProvider; the
// event type and version come from T's zero value.
func SnapshotOf[T any, PT interface {
	*T
	Event
}](fn func(ctx context.Context, keys []string, emit func(T) error) error) SnapshotProvider {
	var zero T
	return SnapshotProvider{
		Type:    PT(&zero).EventType(),
		Version: PT(&zero).EventVersion(),
		Emit: func(ctx context.Context, keys []string, emit func(Event) error) error {
			return fn(ctx, keys, func(e T) error { return emit(PT(&e)) })
		},
	}
}

// RegisterSnapshots registers every provider with r and reports every
// failure in one error; generated RegisterSnapshots functions call it.
func RegisterSnapshots(r SnapshotRegistrar, ps ...SnapshotProvider) error {
	var errs []error
	for _, p := range ps {
		if err := r.RegisterSnapshot(p); err != nil {
			errs = append(errs, fmt.Errorf("register snapshot %s v%d: %w", p.Type, p.Version, err))
		}
	}
	return errors.Join(errs...)
}
