package app

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/mail"
	"strings"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/evgenhq/evgen/examples/users/usersevents"
)

// api serves the users HTTP API.
type api struct {
	users *users
	log   *slog.Logger
}

// routes returns the API's handler; metrics serves GET /metrics.
func (a *api) routes(metrics prometheus.Gatherer) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /users", a.handle(a.postUser))
	mux.Handle("GET /users/{id}", a.handle(a.getUser))
	mux.Handle("PATCH /users/{id}", a.handle(a.patchUser))
	mux.Handle("DELETE /users/{id}", a.handle(a.deleteUser))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(metrics, promhttp.HandlerOpts{}))
	mux.Handle("/", a.handle(func(_ http.ResponseWriter, r *http.Request) error {
		return httpError{http.StatusNotFound, fmt.Sprintf("no endpoint %s %s", r.Method, r.URL.Path)}
	}))
	return mux
}

// userRequest is the body of POST and PATCH /users.
type userRequest struct {
	Email *string `json:"email"`
	Name  *string `json:"name"`
	Plan  *string `json:"plan"`
}

// validate checks the fields that are present.
func (r userRequest) validate() error {
	var problems []string
	if r.Email != nil {
		if err := checkEmail(*r.Email); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if r.Name != nil && len(*r.Name) > 200 {
		problems = append(problems, "name is longer than 200 bytes")
	}
	if r.Plan != nil && !usersevents.Plan(*r.Plan).Valid() {
		problems = append(problems, fmt.Sprintf("plan %q is not one of free, pro, enterprise", *r.Plan))
	}
	if len(problems) > 0 {
		return badRequest("%s", strings.Join(problems, "; "))
	}
	return nil
}

// checkEmail accepts a bare address such as ada@example.com.
func checkEmail(email string) error {
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || addr.Name != "" || len(email) > 254 {
		return fmt.Errorf("email %q is not an address like name@example.com", email)
	}
	return nil
}

func (a *api) postUser(w http.ResponseWriter, r *http.Request) error {
	var req userRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Email == nil || req.Plan == nil {
		return badRequest("email and plan are required")
	}
	if err := req.validate(); err != nil {
		return err
	}
	reg := registration{Email: *req.Email, Plan: usersevents.Plan(*req.Plan)}
	if req.Name != nil {
		reg.Name = *req.Name
	}
	u, err := a.users.register(r.Context(), reg)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, u)
	return nil
}

func (a *api) getUser(w http.ResponseWriter, r *http.Request) error {
	id, err := userID(r)
	if err != nil {
		return err
	}
	u, err := getUser(r.Context(), a.users.db, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

func (a *api) patchUser(w http.ResponseWriter, r *http.Request) error {
	id, err := userID(r)
	if err != nil {
		return err
	}
	var req userRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Email == nil && req.Name == nil && req.Plan == nil {
		return badRequest("nothing to change: give email, name or plan")
	}
	if err := req.validate(); err != nil {
		return err
	}
	p := patch{Email: req.Email, Name: req.Name}
	if req.Plan != nil {
		plan := usersevents.Plan(*req.Plan)
		p.Plan = &plan
	}
	u, err := a.users.change(r.Context(), id, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

// deleteUser starts the deletion saga and answers 202: the deletion
// completes, or is abandoned, when billing answers.
func (a *api) deleteUser(w http.ResponseWriter, r *http.Request) error {
	id, err := userID(r)
	if err != nil {
		return err
	}
	u, err := a.users.requestDeletion(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, u)
	return nil
}

// userID is the {id} of the path, which must be a UUID.
func userID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if err := uuid.Validate(id); err != nil {
		return "", badRequest("user id %q is not a UUID", id)
	}
	return id, nil
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
			err = httpError{http.StatusNotFound, fmt.Sprintf("no user %s", r.PathValue("id"))}
		case errors.Is(err, errConflict):
			err = httpError{http.StatusConflict, err.Error()}
		}
		writeError(w, r, a.log, err)
	}
}

// errNotEditable refuses a change to a user whose deletion started.
func errNotEditable(u User) error {
	return httpError{http.StatusConflict, fmt.Sprintf("user %s is %s and can no longer be changed", u.ID, u.Status)}
}
