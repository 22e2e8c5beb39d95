package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/evgenhq/evgen/runtime"
)

// An outbox row the relay can never send (an event outside the relaying
// service's contract, metadata the marshaler rejects, an unroutable event
// with the event log disabled) would otherwise be retried forever, holding
// back every event committed after it. The relays of the stores in this
// module set such a row aside instead: they publish, and when Publish
// returns an error marked by Permanent (IsPermanent), they move the row to
// the store's set-aside rows with the error as its reason, tell the
// publisher (SetAsideReporter), and go on with the next row in commit
// order. Any other error is retried with backoff, as before.

// SetAsideRow is an outbox event its relay set aside: the event as it was
// written (ID, payload, metadata), why it could not be sent, and when.
type SetAsideRow struct {
	ID       string
	Payload  []byte
	Metadata message.Metadata
	Reason   string
	At       time.Time
}

// Type is the event's type, from its metadata.
func (r SetAsideRow) Type() string { return r.Metadata.Get(runtime.HeaderType) }

// Version is the event's version, from its metadata; 0 when missing.
func (r SetAsideRow) Version() int {
	v, _ := strconv.Atoi(r.Metadata.Get(runtime.HeaderEventVersion))
	return v
}

// Message rebuilds the event as the relay would send it.
func (r SetAsideRow) Message() *message.Message {
	m := message.NewMessage(r.ID, r.Payload)
	for k, v := range r.Metadata {
		m.Metadata.Set(k, v)
	}
	return m
}

// SetAsideOutbox is implemented by stores whose relay sets aside rows that
// can never be sent. It is the operator's tool (`evgen outbox`): list what
// was set aside, put rows back to be relayed once their cause is fixed, or
// drop them for good.
type SetAsideOutbox interface {
	// ListSetAside returns the set-aside rows, oldest first.
	ListSetAside(ctx context.Context) ([]SetAsideRow, error)
	// RetrySetAside puts the rows with these event IDs back in the outbox,
	// after every event committed before the call, in the order given, and
	// returns how many. An ID that is not set aside fails the whole call
	// (ErrNotSetAside), and nothing moves.
	RetrySetAside(ctx context.Context, ids ...string) (int, error)
	// DropSetAside deletes the rows with these event IDs for good, and
	// returns how many; an unknown ID fails the call as for RetrySetAside.
	DropSetAside(ctx context.Context, ids ...string) (int, error)
}

// ErrNotSetAside is returned (wrapped, naming the IDs) by RetrySetAside and
// DropSetAside for an event ID that is not among the set-aside rows.
var ErrNotSetAside = errors.New("not a set-aside outbox row (list them with `evgen outbox list`)")

// SetAsideReporter is implemented by publishers that want to know when a
// relay set an event aside; the Service does, to count it in
// evgen_outbox_set_aside_total and log it at ERROR. A store's relay calls
// it once the row is recorded as set aside.
type SetAsideReporter interface {
	OutboxSetAside(msg *message.Message, reason error)
}

// ReportSetAside tells pub that the relay set msg aside for reason, when
// pub is a SetAsideReporter. For the stores' relays.
func ReportSetAside(pub runtime.Publisher, msg *message.Message, reason error) {
	if r, ok := pub.(SetAsideReporter); ok {
		r.OutboxSetAside(msg, reason)
	}
}

// NotSetAside is the stores' error for event IDs that are not set aside;
// it wraps ErrNotSetAside.
func NotSetAside(ids []string) error {
	if len(ids) == 1 {
		return fmt.Errorf("event %s: %w", ids[0], ErrNotSetAside)
	}
	return fmt.Errorf("events %s: %w", strings.Join(ids, ", "), ErrNotSetAside)
}

// OutboxOwner is implemented by stores that remember which service relays
// their outbox. Two services on one outbox table would each relay the
// other's events, and set them aside as outside their contract; Run calls
// ClaimOutbox first and stops with its error instead.
type OutboxOwner interface {
	// ClaimOutbox records service as the outbox's owner if it has none,
	// and fails naming both services if another one owns it.
	ClaimOutbox(ctx context.Context, service string) error
}

// OutboxOwnedError is ClaimOutbox's error when owner, not service, owns
// the outbox described by where; reset says how to clear the owner.
func OutboxOwnedError(where, owner, service, reset string) error {
	return fmt.Errorf("%s belongs to service %q, not %q: two services must not share an outbox (each would relay the other's events); "+
		"give each its own database, schema (search_path) or TablePrefix; if %q was renamed to %q, %s",
		where, owner, service, owner, service, reset)
}
