package testenv

import (
	"encoding/json"
	"errors"
	"fmt"
)

// UserRegistered stands in for a generated event type in the runtime's
// own tests (users.UserRegistered v1, keyed by user); its UnmarshalJSON is
// strict about the required field, as generated code is. It lives here,
// beside nothing of the engine, so that the engine's internal tests can
// use it too (internal/servicetest imports the engine).
type UserRegistered struct {
	UserID string `json:"user_id"`
	Email  string `json:"email,omitempty"`
}

// EventType is the event's type.
func (UserRegistered) EventType() string { return "users.UserRegistered" }

// EventVersion is the event's version.
func (UserRegistered) EventVersion() int { return 1 }

// EventKey is the user the event is about.
func (e UserRegistered) EventKey() string { return e.UserID }

// Validate requires the user ID.
func (e UserRegistered) Validate() error {
	if e.UserID == "" {
		return errors.New("user_id: required")
	}
	return nil
}

// UnmarshalJSON fails when user_id is missing.
func (e *UserRegistered) UnmarshalJSON(b []byte) error {
	var raw struct {
		UserID *string `json:"user_id"`
		Email  string  `json:"email"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if raw.UserID == nil {
		return fmt.Errorf("user_id: required field missing")
	}
	e.UserID, e.Email = *raw.UserID, raw.Email
	return nil
}
