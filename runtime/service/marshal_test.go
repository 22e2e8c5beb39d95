package service

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/evgenhq/evgen/runtime"
	amqp "github.com/rabbitmq/amqp091-go"
)

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestMarshalSetsAMQPProperties(t *testing.T) {
	at := time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC)
	msg := publishOne(t, context.Background(), userRegistered{UserID: "u1"}, runtime.WithTime(at), runtime.WithID("id-1"))
	p, err := Marshaler{}.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	if p.MessageId != "id-1" || p.ContentType != "application/json" || p.Type != "users.UserRegistered" ||
		p.DeliveryMode != amqp.Persistent || !p.Timestamp.Equal(at) {
		t.Fatalf("properties: %+v", p)
	}
	if p.Headers[runtime.HeaderSubject] != "u1" || p.Headers[runtime.HeaderSpecVersion] != "1.0" {
		t.Fatalf("headers: %v", p.Headers)
	}
}

func TestUnmarshalToleratesAnyHeaderType(t *testing.T) {
	d := amqp.Delivery{
		MessageId: "id-1",
		Body:      []byte(`{}`),
		Headers: amqp.Table{
			runtime.HeaderSpecVersion:  "1.0",
			runtime.HeaderSource:       "users",
			runtime.HeaderType:         "users.UserRegistered",
			runtime.HeaderEventVersion: "1",
			"x-delivery-count":         int64(3),
			"x-stream-offset":          int64(42),
			"x-death": []any{amqp.Table{
				"count": int64(1), "reason": "rejected", "queue": "q", "time": time.Unix(0, 0),
			}},
			"flag": true,
			"raw":  []byte("b"),
		},
	}
	msg, err := Marshaler{}.Unmarshal(d)
	if err != nil {
		t.Fatal(err)
	}
	if msg.UUID != "id-1" || msg.Metadata.Get("x-delivery-count") != "3" || msg.Metadata.Get("flag") != "true" ||
		msg.Metadata.Get("raw") != "b" || !contains(msg.Metadata.Get("x-death"), "rejected") {
		t.Fatalf("message: %s %v", msg.UUID, msg.Metadata)
	}
	m, err := metaFromMessage(msg, "users.UserRegistered.v1", 1)
	if err != nil || m.Type != "users.UserRegistered" || m.Version != 1 || m.Source != "users" {
		t.Fatalf("meta %+v, err %v", m, err)
	}
}

func TestUnmarshalFallsBackToCloudEventsID(t *testing.T) {
	msg, err := Marshaler{}.Unmarshal(amqp.Delivery{Headers: amqp.Table{runtime.HeaderID: "ce-1"}})
	if err != nil || msg.UUID != "ce-1" {
		t.Fatalf("uuid %q, err %v", msg.UUID, err)
	}
}

func TestRoundTripThroughMarshaler(t *testing.T) {
	orig := publishOne(t, withScope(context.Background(), &scope{meta: runtime.Meta{ID: "cause", CorrelationID: "corr"}}),
		userRegistered{UserID: "u9"})
	p, err := Marshaler{}.Marshal(orig)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Marshaler{}.Unmarshal(amqp.Delivery{MessageId: p.MessageId, Headers: p.Headers, Body: p.Body, Type: p.Type})
	if err != nil {
		t.Fatal(err)
	}
	m, err := metaFromMessage(got, "", 2)
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != orig.UUID || m.Subject != "u9" || m.CorrelationID != "corr" || m.CausationID != "cause" ||
		m.Attempt != 2 || m.Time.IsZero() {
		t.Fatalf("meta after round trip: %+v", m)
	}
}
