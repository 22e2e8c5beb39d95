package app

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// maxAmountCents bounds an invoice, so that sums stay far from overflow.
const maxAmountCents = 1_000_000_000_00

// api serves the billing HTTP API.
type api struct {
	billing *billing
	resync  requestResync
	log     *slog.Logger
}

// routes returns the API's handler; metrics serves GET /metrics.
func (a *api) routes(metrics prometheus.Gatherer) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /customers/{user_id}", a.handle(a.getCustomer))
	mux.Handle("GET /customers/{user_id}/changes", a.handle(a.getChanges))
	mux.Handle("POST /invoices", a.handle(a.postInvoice))
	mux.Handle("GET /invoices/{id}", a.handle(a.getInvoice))
	mux.Handle("POST /invoices/{id}/pay", a.handle(a.payInvoice))
	mux.Handle("POST /invoices/{id}/fail", a.handle(a.failInvoice))
	mux.Handle("POST /admin/resync", a.handle(a.postResync))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(metrics, promhttp.HandlerOpts{}))
	mux.Handle("/", a.handle(func(_ http.ResponseWriter, r *http.Request) error {
		return httpError{http.StatusNotFound, fmt.Sprintf("no endpoint %s %s", r.Method, r.URL.Path)}
	}))
	return mux
}

func (a *api) getCustomer(w http.ResponseWriter, r *http.Request) error {
	id, err := pathUUID(r, "user_id")
	if err != nil {
		return err
	}
	c, err := getCustomer(r.Context(), a.billing.db, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

// getChanges lists the users events applied to billing's copy of a user.
func (a *api) getChanges(w http.ResponseWriter, r *http.Request) error {
	id, err := pathUUID(r, "user_id")
	if err != nil {
		return err
	}
	if _, err := getCustomer(r.Context(), a.billing.db, id); err != nil {
		return err
	}
	changes, err := listChanges(r.Context(), a.billing.db, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, changes)
	return nil
}

// invoiceRequest is the body of POST /invoices.
type invoiceRequest struct {
	UserID      string `json:"user_id"`
	AmountCents int64  `json:"amount_cents"`
}

func (a *api) postInvoice(w http.ResponseWriter, r *http.Request) error {
	var req invoiceRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := uuid.Validate(req.UserID); err != nil {
		return badRequest("user_id %q is not a UUID", req.UserID)
	}
	if req.AmountCents <= 0 || req.AmountCents > maxAmountCents {
		return badRequest("amount_cents must be between 1 and %d", int64(maxAmountCents))
	}
	inv, err := a.billing.issueInvoice(r.Context(), req.UserID, req.AmountCents)
	if errors.Is(err, errNotFound) {
		return httpError{http.StatusNotFound, fmt.Sprintf("billing has no customer %s (yet)", req.UserID)}
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, inv)
	return nil
}

func (a *api) getInvoice(w http.ResponseWriter, r *http.Request) error {
	id, err := pathUUID(r, "id")
	if err != nil {
		return err
	}
	inv, err := getInvoice(r.Context(), a.billing.db, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, inv)
	return nil
}

func (a *api) payInvoice(w http.ResponseWriter, r *http.Request) error {
	id, err := pathUUID(r, "id")
	if err != nil {
		return err
	}
	inv, err := a.billing.payInvoice(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, inv)
	return nil
}

// failRequest is the optional body of POST /invoices/{id}/fail.
type failRequest struct {
	Reason string `json:"reason"`
}

func (a *api) failInvoice(w http.ResponseWriter, r *http.Request) error {
	id, err := pathUUID(r, "id")
	if err != nil {
		return err
	}
	req := failRequest{Reason: "the card was declined"}
	if r.ContentLength != 0 {
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
	}
	if req.Reason == "" || len(req.Reason) > 500 {
		return badRequest("reason must be 1 to 500 bytes")
	}
	inv, err := a.billing.failPayment(r.Context(), id, req.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, inv)
	return nil
}

// pathUUID is the path value name, which must be a UUID.
func pathUUID(r *http.Request, name string) (string, error) {
	v := r.PathValue(name)
	if err := uuid.Validate(v); err != nil {
		return "", badRequest("%s %q is not a UUID", name, v)
	}
	return v, nil
}

// handle adapts a handler that returns its error, answering the error as
// JSON: the service's own errors become what a client can act on.
func (a *api) handle(fn func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		err := fn(w, r)
		switch {
		case err == nil:
			return
		case errors.Is(err, errNotFound):
			err = httpError{http.StatusNotFound, fmt.Sprintf("not found: %s", r.URL.Path)}
		}
		writeError(w, r, a.log, err)
	}
}
