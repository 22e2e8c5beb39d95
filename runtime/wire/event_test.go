package wire_test

import (
	"time"

	"github.com/evgenhq/evgen/runtime/wire"
)

// The types below are written as evgen generates them, so that the
// package's tests and benchmark run the calls generated code makes.

type plan string

const (
	planFree plan = "free"
	planPro  plan = "pro"
)

func (v plan) Validate() error {
	if v == planFree || v == planPro {
		return nil
	}
	return wire.UnknownValue(string(v), "free, pro")
}

func (v *plan) UnmarshalJSON(b []byte) error { return wire.DecodeEnum(b, v) }

type address struct {
	City string `json:"city"`
}

func (v address) Validate() error               { return wire.Validate(v.fields()) }
func (v *address) UnmarshalJSON(b []byte) error { return wire.DecodeObject(b, v.fields()) }

func (v *address) fields() []wire.Field {
	return []wire.Field{wire.FieldOf("city", &v.City, wire.Required, wire.NonZero)}
}

// userRegistered is a typical event: usersevents.UserRegistered with a
// few more shapes (optional checked, list, map, nested).
type userRegistered struct {
	UserID       string             `json:"user_id"`
	Email        string             `json:"email"`
	Name         *string            `json:"name,omitempty"`
	Plan         plan               `json:"plan"`
	Version      int64              `json:"version"`
	Score        float64            `json:"score"`
	RegisteredAt time.Time          `json:"registered_at"`
	Referrer     *string            `json:"referrer,omitempty"`
	Addresses    []address          `json:"addresses"`
	Limits       map[string]string  `json:"limits,omitempty"`
	Tags         []string           `json:"tags,omitempty"`
	Extra        map[string][]int32 `json:"extra,omitempty"`
}

func (e userRegistered) Validate() error               { return wire.Validate(e.fields()) }
func (e *userRegistered) UnmarshalJSON(b []byte) error { return wire.DecodeObject(b, e.fields()) }

func (e *userRegistered) fields() []wire.Field {
	return []wire.Field{
		wire.FieldOf("user_id", &e.UserID, wire.Required, wire.NonZero, wire.UUID),
		wire.FieldOf("email", &e.Email, wire.Required, wire.NonZero),
		wire.FieldOf("name", &e.Name, wire.Optional),
		wire.FieldOf("plan", &e.Plan, wire.Required, wire.NonZero, plan.Validate),
		wire.FieldOf("version", &e.Version, wire.Required),
		wire.FieldOf("score", &e.Score, wire.Required, wire.Finite),
		wire.FieldOf("registered_at", &e.RegisteredAt, wire.Required, wire.NonZero),
		wire.FieldOf("referrer", &e.Referrer, wire.Optional, wire.IfSet(wire.UUID)),
		wire.FieldOf("addresses", &e.Addresses, wire.RequiredNullable, wire.Each(address.Validate)),
		wire.FieldOf("limits", &e.Limits, wire.Optional, wire.EachValue(wire.Decimal)),
		wire.FieldOf("tags", &e.Tags, wire.Optional),
		wire.FieldOf("extra", &e.Extra, wire.Optional),
	}
}

// typical is usersevents.UserRegistered as it travels, with a key the
// consumer does not know.
var typical = []byte(`{"user_id":"0190c5a8-1234-7abc-8def-0123456789ab","email":"ada@example.com","name":"Ada","plan":"pro","version":3,"registered_at":"2024-05-01T12:00:00Z","extra":"ignored"}`)

type typicalEvent struct {
	UserID       string    `json:"user_id"`
	Email        string    `json:"email"`
	Name         *string   `json:"name,omitempty"`
	Plan         plan      `json:"plan"`
	Version      int64     `json:"version"`
	RegisteredAt time.Time `json:"registered_at"`
}

func (e typicalEvent) Validate() error               { return wire.Validate(e.fields()) }
func (e *typicalEvent) UnmarshalJSON(b []byte) error { return wire.DecodeObject(b, e.fields()) }

func (e *typicalEvent) fields() []wire.Field {
	return []wire.Field{
		wire.FieldOf("user_id", &e.UserID, wire.Required, wire.NonZero, wire.UUID),
		wire.FieldOf("email", &e.Email, wire.Required, wire.NonZero),
		wire.FieldOf("name", &e.Name, wire.Optional),
		wire.FieldOf("plan", &e.Plan, wire.Required, wire.NonZero, plan.Validate),
		wire.FieldOf("version", &e.Version, wire.Required),
		wire.FieldOf("registered_at", &e.RegisteredAt, wire.Required, wire.NonZero),
	}
}
