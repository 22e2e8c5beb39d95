package runtime

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"
)

// PublishVersions publishes one change as events, the same event type at
// every version its producer declares, newest first, in one call of p, so
// that consumers of each version get the one they were built for; the
// outbox writes them all in the caller's transaction or none. The newest
// gets the event ID (fresh, or WithID's) and each older version
// VersionID(id, version), so that a retry with the same WithID repeats
// every ID and consumers' inboxes drop each duplicate. They share the
// time and the conversation: a root change's correlation ID is the
// newest's ID. Generated publishers call it for events declared with
// older_versions.
func PublishVersions(ctx context.Context, p Publisher, events []Event, opts ...PublishOption) error {
	if err := sameChange(events); err != nil {
		return err
	}
	typ := events[0].EventType()
	o, err := resolveOptions(opts)
	if err != nil {
		return fmt.Errorf("publish %s: %w", typ, err)
	}
	shared := append(slices.Clip(opts), WithTime(o.at))
	if _, in := IncomingMeta(ctx); !in && o.correlationID == "" {
		shared = append(shared, WithCorrelationID(o.id))
	}
	msgs := make([]*message.Message, len(events))
	for i, e := range events {
		id := o.id
		if i > 0 {
			id = VersionID(o.id, e.EventVersion())
		}
		if msgs[i], err = NewMessage(ctx, e, append(slices.Clip(shared), WithID(id))...); err != nil {
			return err
		}
	}
	if err := p.Publish(ctx, msgs...); err != nil {
		return fmt.Errorf("publish %s at %d versions (id %s): %w", typ, len(msgs), o.id, err)
	}
	if h := HandlingFrom(ctx); h != nil {
		h.Published(ctx, typ)
	}
	return nil
}

// sameChange checks that events are one event type at distinct versions.
func sameChange(events []Event) error {
	if len(events) == 0 {
		return errors.New("publish versions: no event")
	}
	seen := map[int]bool{}
	for _, e := range events {
		if e.EventType() != events[0].EventType() || seen[e.EventVersion()] {
			return fmt.Errorf("publish versions: %s v%d beside %s: want one event type at distinct versions", e.EventType(), e.EventVersion(), events[0].EventType())
		}
		seen[e.EventVersion()] = true
	}
	return nil
}

// VersionID is the ID of an older version of the event with ID id,
// published beside it by PublishVersions: a name-based UUID (version 5)
// of both, the same wherever it is computed. IDs stay unique per
// producer, as inboxes need (they key on producer and ID).
func VersionID(id string, version int) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("urn:evgen:event:"+id+":v"+strconv.Itoa(version))).String()
}
