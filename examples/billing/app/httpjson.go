package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
)

// maxBody bounds a request body; anything larger is refused unread.
const maxBody = 64 << 10

// httpError is an error a client can act on, with the status it answers.
type httpError struct {
	status int
	msg    string
}

func (e httpError) Error() string { return e.msg }

// badRequest is a 400 saying what is wrong with the request.
func badRequest(format string, args ...any) error {
	return httpError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

// decodeJSON reads the request body into v: one JSON object of at most
// maxBody bytes, with no field v does not have.
func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.Decode(&struct{}{}) != io.EOF {
		return badRequest("body must hold one JSON object and nothing after it")
	}
	var tooLarge *http.MaxBytesError
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &tooLarge):
		return httpError{http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", maxBody)}
	case errors.Is(err, io.EOF):
		return badRequest("body is empty; send a JSON object")
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("body is not valid JSON: %v", err)
	case errors.As(err, &typ) && typ.Field != "":
		return badRequest("field %q must be %s, not %s", typ.Field, typ.Type.Kind(), typ.Value)
	case errors.As(err, &typ):
		return badRequest("body must be a JSON object, not %s", typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return badRequest("unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	default:
		return badRequest("%v", err)
	}
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// writeError answers {"error": "..."}: the message of an httpError, or a
// plain 500 for anything else, which is logged rather than shown.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var he httpError
	if !errors.As(err, &he) {
		log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		he = httpError{http.StatusInternalServerError, "internal error; see the service's log"}
	}
	writeJSON(w, he.status, map[string]string{"error": he.msg})
}
