package app

import (
	"context"
	"net/http"
	"slices"

	"github.com/google/uuid"

	"github.com/evgenhq/evgen/examples/billing/billingevents"
)

// maxResyncKeys bounds the users one request names; ask for every user
// (no keys) beyond that.
const maxResyncKeys = 10_000

// resyncRequest is the body of POST /admin/resync.
type resyncRequest struct {
	// Producer is the service asked to re-announce its entities: one that
	// billing consumes from ("users").
	Producer string `json:"producer"`
	// Keys are the entities to re-announce (user IDs); every one when
	// empty.
	Keys []string `json:"keys"`
}

// resyncAnswer is what POST /admin/resync answers once the request is
// with the broker.
type resyncAnswer struct {
	Producer string   `json:"producer"`
	Keys     []string `json:"keys"`
	Status   string   `json:"status"`
}

// requestResync is service.Service.RequestResync, or nil when the service
// runs without RabbitMQ.
type requestResync func(ctx context.Context, producer string, keys ...string) error

// postResync asks a producer to re-announce the current state of its
// entities to billing alone, for a billing whose copies are missing or
// stale beyond what the producer's event log still holds (see
// docs/recovery.md). The answers arrive on billing's queue like any event,
// and the runtime drops an answer no newer than billing's copy (order_by in
// users' contract), so the newer of the two is kept.
func (a *api) postResync(w http.ResponseWriter, r *http.Request) error {
	var req resyncRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if producers := consumedProducers(); !slices.Contains(producers, req.Producer) {
		return badRequest("producer %q: billing consumes from %q only", req.Producer, producers)
	}
	if len(req.Keys) > maxResyncKeys {
		return badRequest("%d keys: at most %d; send none to ask for every entity", len(req.Keys), maxResyncKeys)
	}
	for _, k := range req.Keys {
		if err := uuid.Validate(k); err != nil {
			return badRequest("key %q is not a UUID", k)
		}
	}
	if a.resync == nil {
		return httpError{http.StatusNotImplemented, "a resync needs RabbitMQ: the in-process transport has no queue for the producer's answers"}
	}
	if err := a.resync(r.Context(), req.Producer, req.Keys...); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, resyncAnswer{Producer: req.Producer, Keys: req.Keys, Status: "requested"})
	return nil
}

// consumedProducers lists the services billing consumes events from.
func consumedProducers() []string {
	var ps []string
	for _, e := range billingevents.Contract.Consumes {
		if !slices.Contains(ps, e.Producer) {
			ps = append(ps, e.Producer)
		}
	}
	return ps
}
