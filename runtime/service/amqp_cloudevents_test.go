package service

import (
	"strings"
	"testing"
	"time"

	"github.com/evgenhq/evgen/runtime"
	amqp "github.com/rabbitmq/amqp091-go"
)

// attrs are the attributes of a valid users.UserRegistered v1 under
// prefix p.
func attrs(p string) amqp.Table {
	return amqp.Table{
		p + "specversion": "1.0", p + "id": "e-1", p + "source": "users", p + "type": "users.UserRegistered",
		p + "eventversion": "1", p + "time": "2026-01-02T03:04:05Z", p + "subject": "u1", p + "correlationid": "c-1",
	}
}

// with is t with the entries of more added (a nil value deletes).
func with(t amqp.Table, more amqp.Table) amqp.Table {
	out := amqp.Table{}
	for k, v := range t {
		out[k] = v
	}
	for k, v := range more {
		if v == nil {
			delete(out, k)
			continue
		}
		out[k] = v
	}
	return out
}

const structuredBody = `{"specversion":"1.0","id":"e-1","source":"users","type":"users.UserRegistered",` +
	`"time":"2026-01-02T03:04:05Z","subject":"u1","correlationid":"c-1","datacontenttype":"application/json","data":{"user_id":"u1"}}`

// Every header shape a producer may send: what the consumer reads from
// it, or why it dead-letters it.
func TestReadCloudEventShapes(t *testing.T) {
	key := "users.UserRegistered.v1"
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		name    string
		d       amqp.Delivery
		key     string // routing key; default key
		wantErr string // "" when the event is read
		version int    // default 1
	}{
		{name: "cloudEvents: prefix", d: amqp.Delivery{Headers: attrs("cloudEvents:")}},
		{name: "cloudEvents_ prefix", d: amqp.Delivery{Headers: attrs("cloudEvents_")}},
		{name: "prefix in any case", d: amqp.Delivery{Headers: attrs("CLOUDEVENTS_")}},
		{name: "ce- prefix", d: amqp.Delivery{Headers: attrs("ce-")}},
		{name: "knative's bare names", d: amqp.Delivery{Headers: attrs("")}},
		{name: "bare names without specversion are no attributes", d: amqp.Delivery{Headers: with(attrs(""), amqp.Table{"specversion": nil})},
			wantErr: "event has no ID"},
		{name: "two prefixes", d: amqp.Delivery{Headers: with(attrs("cloudEvents_"), amqp.Table{"cloudEvents:subject": "u1"})},
			wantErr: "two prefixes"},
		{name: "AMQP timestamp time", d: amqp.Delivery{Headers: with(attrs("cloudEvents_"), amqp.Table{"cloudEvents_time": at})}},
		{name: "integer eventversion", d: amqp.Delivery{Headers: with(attrs("cloudEvents_"), amqp.Table{"cloudEvents_eventversion": int64(1)})}},
		{name: "byte-array string", d: amqp.Delivery{Headers: with(attrs("cloudEvents_"), amqp.Table{"cloudEvents_subject": []byte("u1")})}},
		{name: "JavaScript Date time", d: amqp.Delivery{Headers: with(attrs("cloudEvents_"), amqp.Table{"cloudEvents_time": amqp.Table{}})},
			wantErr: "header cloudEvents_time is an AMQP table"},
		{name: "number as subject", d: amqp.Delivery{Headers: with(attrs("cloudEvents:"), amqp.Table{"cloudEvents:subject": int64(7)})},
			wantErr: "want a string"},
		{name: "array extension", d: amqp.Delivery{Headers: with(attrs("cloudEvents:"), amqp.Table{"cloudEvents:tags": []any{"a"}})},
			wantErr: "cloudEvents:tags is an AMQP array"},
		{name: "unparsable time", d: amqp.Delivery{Headers: with(attrs("cloudEvents:"), amqp.Table{"cloudEvents:time": "yesterday"})},
			wantErr: `time "yesterday" is not an RFC 3339`},
		{name: "specversion 2.0", d: amqp.Delivery{Headers: with(attrs("cloudEvents:"), amqp.Table{"cloudEvents:specversion": "2.0"})},
			wantErr: `specversion "2.0"`},
		{name: "no source", d: amqp.Delivery{Headers: with(attrs("cloudEvents:"), amqp.Table{"cloudEvents:source": nil})},
			wantErr: "has no source"},
		{name: "source of another producer", d: amqp.Delivery{Headers: with(attrs("cloudEvents:"), amqp.Table{"cloudEvents:source": "billing"})},
			wantErr: `source "billing" is not the service`},
		{name: "type from the AMQP type property", d: amqp.Delivery{Type: "users.UserRegistered", Headers: with(attrs("cloudEvents:"), amqp.Table{"cloudEvents:type": nil})}},
		{name: "ID from message-id", d: amqp.Delivery{MessageId: "e-1", Headers: with(attrs("cloudEvents:"), amqp.Table{"cloudEvents:id": nil})}},
		{name: "message-id and id differ", d: amqp.Delivery{MessageId: "other", Headers: attrs("cloudEvents:")},
			wantErr: `message-id "other" and the CloudEvents id "e-1" differ`},
		{name: "version from the routing key", key: "users.UserRegistered.v2", version: 2,
			d: amqp.Delivery{Headers: with(attrs("cloudEvents:"), amqp.Table{"cloudEvents:eventversion": nil})}},
		{name: "version 1 without extension or key", key: "evgen.billing.queue",
			d: amqp.Delivery{Headers: with(attrs("cloudEvents:"), amqp.Table{"cloudEvents:eventversion": nil})}},
		{name: "extension against routing key", key: "users.UserRegistered.v2", d: amqp.Delivery{Headers: attrs("cloudEvents:")},
			wantErr: "eventversion 1, but it was published with routing key users.UserRegistered.v2"},
		{name: "extension wins over another queue's key", key: "evgen.billing.queue", version: 3,
			d: amqp.Delivery{Headers: with(attrs("cloudEvents:"), amqp.Table{"cloudEvents:eventversion": "3"})}},
		{name: "JSON with charset", d: amqp.Delivery{ContentType: "application/json; charset=utf-8", Headers: attrs("cloudEvents_")}},
		{name: "a +json media type", d: amqp.Delivery{ContentType: "application/vnd.users+json", Headers: attrs("cloudEvents_")}},
		{name: "XML", d: amqp.Delivery{ContentType: "application/xml", Headers: attrs("cloudEvents_")},
			wantErr: `datacontenttype "application/xml": this consumer reads JSON`},
		{name: "text/plain", d: amqp.Delivery{ContentType: "text/plain", Headers: attrs("cloudEvents_")},
			wantErr: `datacontenttype "text/plain"`},
		{name: "JSON in Latin-1", d: amqp.Delivery{ContentType: "application/json; charset=iso-8859-1", Headers: attrs("cloudEvents_")},
			wantErr: "JSON in UTF-8 only"},
		{name: "structured", d: amqp.Delivery{ContentType: "application/cloudevents+json; charset=utf-8", Body: []byte(structuredBody)}},
		{name: "structured with integer eventversion", version: 2, key: "evgen.billing.queue", d: amqp.Delivery{ContentType: structuredJSON,
			Body: []byte(strings.Replace(structuredBody, `"specversion"`, `"eventversion":2,"specversion"`, 1))}},
		{name: "structured with data_base64", d: amqp.Delivery{ContentType: structuredJSON,
			Body: []byte(strings.Replace(structuredBody, `"data":{"user_id":"u1"}`, `"data_base64":"eyJ1c2VyX2lkIjoidTEifQ=="`, 1))}},
		{name: "structured XML data", d: amqp.Delivery{ContentType: structuredJSON,
			Body: []byte(strings.Replace(structuredBody, `"datacontenttype":"application/json"`, `"datacontenttype":"application/xml"`, 1))},
			wantErr: `datacontenttype "application/xml"`},
		{name: "structured with a number as type", d: amqp.Delivery{ContentType: structuredJSON,
			Body: []byte(strings.Replace(structuredBody, `"type":"users.UserRegistered"`, `"type":7`, 1))},
			wantErr: "attribute type is 7, want a string"},
		{name: "structured body not JSON", d: amqp.Delivery{ContentType: structuredJSON, Body: []byte("<event/>")},
			wantErr: "the body is not a JSON object"},
		{name: "batch mode", d: amqp.Delivery{ContentType: "application/cloudevents-batch+json", Body: []byte("[" + structuredBody + "]")},
			wantErr: "one event per message"},
		{name: "structured Avro", d: amqp.Delivery{ContentType: "application/cloudevents+avro", Body: []byte{0}},
			wantErr: "JSON format"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.key == "" {
				c.key = key
			}
			if c.version == 0 {
				c.version = 1
			}
			if c.d.Body == nil {
				c.d.Body = []byte(`{"user_id":"u1"}`)
			}
			msg, err := Marshaler{}.Unmarshal(c.d)
			var m runtime.Meta
			if err == nil {
				m, err = metaFromMessage(msg, c.key, 1)
			}
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want one saying %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("not read: %v", err)
			}
			if m.ID != "e-1" || m.Type != "users.UserRegistered" || m.Source != "users" || m.Version != c.version ||
				m.Subject != "u1" || m.CorrelationID != "c-1" || !m.Time.Equal(at) {
				t.Errorf("meta %+v, want users.UserRegistered v%d e-1 from users about u1 at %v in c-1", m, c.version, at)
			}
			if string(msg.Payload) != `{"user_id":"u1"}` {
				t.Errorf("payload %s", msg.Payload)
			}
		})
	}
}

// Headers RabbitMQ adds stay readable metadata beside the attributes of
// any prefix.
func TestReadCloudEventKeepsOtherHeaders(t *testing.T) {
	msg, err := Marshaler{}.Unmarshal(amqp.Delivery{Headers: with(attrs("cloudEvents_"), amqp.Table{"x-delivery-count": int64(2)})})
	if err != nil {
		t.Fatal(err)
	}
	if msg.Metadata.Get("x-delivery-count") != "2" || msg.Metadata.Get(runtime.HeaderType) != "users.UserRegistered" {
		t.Fatalf("metadata %v", msg.Metadata)
	}
}

// BenchmarkReadEvent measures what every delivery costs before its
// handler: reading an evgen-shaped AMQP delivery into a message and its
// checked metadata.
func BenchmarkReadEvent(b *testing.B) {
	d := amqp.Delivery{
		MessageId: "e-1", ContentType: "application/json", Type: "users.UserRegistered", RoutingKey: "users.UserRegistered.v1",
		Body: []byte(`{"user_id":"u1"}`),
		Headers: with(attrs("cloudEvents:"), amqp.Table{
			"cloudEvents:time": "2026-01-02T03:04:05.123456789Z", "x-delivery-count": int64(0),
		}),
	}
	b.ReportAllocs()
	for b.Loop() {
		msg, err := Marshaler{}.Unmarshal(d)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := metaFromMessage(msg, d.RoutingKey, 1); err != nil {
			b.Fatal(err)
		}
	}
}
