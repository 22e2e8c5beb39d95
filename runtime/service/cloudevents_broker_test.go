package service_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store/memory"
	"github.com/evgenhq/evgen/runtime/transport/pubsub"
)

// ceHeaders are the attributes of users.UserRegistered v1 event id under
// prefix p.
func ceHeaders(p, id string) amqp.Table {
	return amqp.Table{p + "specversion": "1.0", p + "id": id, p + "source": "users", p + "type": "users.UserRegistered", p + "eventversion": "1"}
}

// dead-lettered events are sorted out by their message-id or CloudEvents
// id, whichever the copy carries.
func deadLetterID(d amqp.Delivery) string {
	if d.MessageId != "" {
		return d.MessageId
	}
	for _, k := range []string{"cloudEvents:id", "cloudEvents_id"} {
		if s, ok := d.Headers[k].(string); ok {
			return s
		}
	}
	return ""
}

// Issue 16: what conformant producers send is applied (either prefix of
// the AMQP binding, knative's names, structured mode, no eventversion),
// and what breaks the spec or is no JSON is dead-lettered with a reason
// that says so, never applied.
func TestForeignCloudEventsOnTheBroker(t *testing.T) {
	b := newBroker(t)
	var rec recorder
	billing, _ := b.Service(t, billingContract, memory.New())
	if err := billing.Register(rec.Handler()); err != nil {
		t.Fatal(err)
	}
	start(t, billing)
	ready(t, billing)
	exchange, key := b.NS+".users", "users.UserRegistered.v1"
	body := []byte(`{"user_id":"u"}`)
	bin := func(p, id, contentType string, more amqp.Table) amqp.Publishing {
		h := ceHeaders(p, id)
		for k, v := range more {
			h[k] = v
		}
		return amqp.Publishing{ContentType: contentType, Body: body, Headers: h}
	}
	structured := func(id string) amqp.Publishing {
		return amqp.Publishing{ContentType: "application/cloudevents+json", Body: []byte(`{"specversion":"1.0","id":"` + id +
			`","source":"users","type":"users.UserRegistered","datacontenttype":"application/json","data":{"user_id":"u"}}`)}
	}
	applied := map[string]amqp.Publishing{
		"underscore":      bin("cloudEvents_", "underscore", "application/json", nil),
		"knative-ce-dash": bin("ce-", "knative-ce-dash", "", nil),
		"no-eventversion": bin("cloudEvents:", "no-eventversion", "application/json", amqp.Table{"cloudEvents:eventversion": nil}),
		"structured":      structured("structured"),
	}
	delete(applied["no-eventversion"].Headers, "cloudEvents:eventversion")
	dead := map[string]struct {
		p      amqp.Publishing
		reason string
	}{
		"xml":          {bin("cloudEvents_", "xml", "application/xml", nil), `datacontenttype "application/xml"`},
		"text":         {bin("cloudEvents_", "text", "text/plain", nil), `datacontenttype "text/plain"`},
		"spec-2":       {bin("cloudEvents_", "spec-2", "", amqp.Table{"cloudEvents_specversion": "2.0"}), `specversion "2.0"`},
		"js-date":      {bin("cloudEvents_", "js-date", "", amqp.Table{"cloudEvents_time": amqp.Table{}}), "cloudEvents_time is an AMQP table"},
		"from-billing": {bin("cloudEvents_", "from-billing", "", amqp.Table{"cloudEvents_source": "billing"}), `source "billing" is not the service`},
	}
	for _, p := range applied {
		b.PublishRaw(t, exchange, key, p)
	}
	for _, c := range dead {
		b.PublishRaw(t, exchange, key, c.p)
	}
	// Last: once it is applied, the ordered consumer has settled the rest.
	b.PublishRaw(t, exchange, key, bin("cloudEvents:", "last", "application/json", nil))

	testenv.Eventually(t, 20*time.Second, "the last event applied", func() bool {
		_, counts := rec.Snapshot()
		return counts["last"] == 1
	})
	_, counts := rec.Snapshot()
	for id := range applied {
		if counts[id] != 1 {
			t.Errorf("event %s applied %d times, want once", id, counts[id])
		}
	}
	for id := range dead {
		if counts[id] != 0 {
			t.Errorf("event %s applied, want it dead-lettered", id)
		}
	}
	for _, d := range b.TakeDeadLetters(t, "billing", len(dead)) {
		id := deadLetterID(d)
		c, ok := dead[id]
		reason, _ := d.Headers[service.HeaderDLQError].(string)
		if !ok {
			t.Errorf("event %s dead-lettered: %s", id, reason)
			continue
		}
		if !strings.Contains(reason, c.reason) {
			t.Errorf("event %s dead-lettered with %q, want a reason saying %q", id, reason, c.reason)
		}
	}
}

// Issue 16: Config.MaxEventBytes refuses a larger event at Publish, with
// nothing sent, and a consumer dead-letters a larger one it is sent.
func TestEventSizeLimit(t *testing.T) {
	b := newBroker(t)
	var rec recorder
	small := func(c *service.Config) { c.MaxEventBytes = 64 }
	billing, _ := b.Service(t, billingContract, memory.New(), small)
	if err := billing.Register(rec.Handler()); err != nil {
		t.Fatal(err)
	}
	start(t, billing)
	ready(t, billing)
	users, _ := b.Service(t, usersContract, memory.New(), small)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	big := userRegistered{UserID: "big", Email: strings.Repeat("a", 64) + "@example.com"}
	err := runtime.Publish(ctx, users, big, runtime.WithID("big"))
	if !runtime.IsPermanent(err) || !strings.Contains(err.Error(), "more than Config.MaxEventBytes (64)") {
		t.Fatalf("publish of %d-byte event: %v, want a Permanent error naming the limit", len(big.Email), err)
	}
	b.PublishRaw(t, b.NS+".users", "users.UserRegistered.v1", amqp.Publishing{
		Headers: ceHeaders("cloudEvents:", "raw-big"), Body: []byte(`{"user_id":"raw-big","email":"` + strings.Repeat("b", 64) + `"}`),
	})
	if err := runtime.Publish(ctx, users, userRegistered{UserID: "small"}, runtime.WithID("small")); err != nil {
		t.Fatal(err)
	}
	d := b.TakeDeadLetters(t, "billing", 1)[0]
	if reason, _ := d.Headers[service.HeaderDLQError].(string); deadLetterID(d) != "raw-big" || !strings.Contains(reason, "more than this consumer's Config.MaxEventBytes (64)") {
		t.Errorf("dead letter %s: %q, want raw-big for its size", deadLetterID(d), reason)
	}
	testenv.Eventually(t, 10*time.Second, "the small event applied", func() bool { return rec.Len() == 1 })
	if _, counts := rec.Snapshot(); counts["small"] != 1 || counts["big"] != 0 {
		t.Errorf("applied %v, want only the small event", counts)
	}
}

// Issue 16: every publish carries the connection's broker user as its
// user-id; with PublisherUsers.Verify a consumer applies an event from the
// producer's user and dead-letters one without it or from another user.
func TestPublisherUserVerified(t *testing.T) {
	b := newBroker(t)
	user := brokerUser(t, b.URL)
	var rec recorder
	billing, _ := b.Service(t, billingContract, memory.New(), func(c *service.Config) {
		c.PublisherUsers = service.PublisherUsers{Verify: true, Users: map[string]string{"users": user}}
	})
	if err := billing.Register(rec.Handler()); err != nil {
		t.Fatal(err)
	}
	start(t, billing)
	ready(t, billing)
	b.BindSink(t, "users", "users.UserRegistered.v1")
	users, _ := b.Service(t, usersContract, memory.New())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	b.PublishRaw(t, "", service.QueueName(b.NS, "billing"), amqp.Publishing{Headers: ceHeaders("cloudEvents:", "anonymous"), Body: []byte(`{"user_id":"x"}`)})
	b.PublishRaw(t, "", service.QueueName(b.NS, "billing"), amqp.Publishing{UserId: user, Headers: ceHeaders("cloudEvents:", "via-default"), Body: []byte(`{"user_id":"x"}`)})
	if err := runtime.Publish(ctx, users, userRegistered{UserID: "real"}, runtime.WithID("real")); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 10*time.Second, "users' event applied", func() bool { return rec.Len() >= 2 })
	if _, counts := rec.Snapshot(); counts["real"] != 1 || counts["via-default"] != 1 || counts["anonymous"] != 0 {
		t.Errorf("applied %v, want real and via-default (both of users' user), not anonymous", counts)
	}
	d := b.TakeDeadLetters(t, "billing", 1)[0]
	if reason, _ := d.Headers[service.HeaderDLQError].(string); deadLetterID(d) != "anonymous" || !strings.Contains(reason, "has no user-id") {
		t.Errorf("dead letter %s: %q, want anonymous for its missing user-id", deadLetterID(d), reason)
	}
	sink, ok, err := b.Channel(t).Get(b.NS+".sink", true)
	if err != nil || !ok {
		t.Fatalf("the sink has no event: %v", err)
	}
	if sink.UserId != user {
		t.Errorf("evgen published with user-id %q, want its connection's user %q", sink.UserId, user)
	}
}

// A consumer told another user for users dead-letters what users' own
// connection published.
func TestPublisherUserMismatchDeadLettered(t *testing.T) {
	b := newBroker(t)
	var rec recorder
	billing, _ := b.Service(t, billingContract, memory.New(), func(c *service.Config) {
		c.PublisherUsers = service.PublisherUsers{Verify: true, Prefix: "prod-"}
	})
	if err := billing.Register(rec.Handler()); err != nil {
		t.Fatal(err)
	}
	start(t, billing)
	ready(t, billing)
	users, _ := b.Service(t, usersContract, memory.New())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := runtime.Publish(ctx, users, userRegistered{UserID: "u"}, runtime.WithID("wrong-user")); err != nil {
		t.Fatal(err)
	}
	d := b.TakeDeadLetters(t, "billing", 1)[0]
	reason, _ := d.Headers[service.HeaderDLQError].(string)
	if !strings.Contains(reason, `not "prod-users": refused as forged`) {
		t.Errorf("dead-lettered with %q, want the user mismatch", reason)
	}
	if got, want := d.Headers[service.HeaderDLQUserID], brokerUser(t, b.URL); got != want {
		t.Errorf("dead letter's %s is %v, want the publishing user %s", service.HeaderDLQUserID, got, want)
	}
	if rec.Len() != 0 {
		t.Errorf("applied %d events, want none", rec.Len())
	}
}

// Config.SchemaBaseURL becomes each event's dataschema, the $id evgen
// jsonschema -base-url gives its schema.
func TestDataSchemaSet(t *testing.T) {
	b := newBroker(t)
	b.BindSink(t, "users", "users.UserRegistered.v1")
	users, _ := b.Service(t, usersContract, memory.New(), func(c *service.Config) { c.SchemaBaseURL = "https://example.com/schemas/" })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := runtime.Publish(ctx, users, userRegistered{UserID: "u"}); err != nil {
		t.Fatal(err)
	}
	var got amqp.Delivery
	testenv.Eventually(t, 10*time.Second, "the event in the sink", func() bool {
		d, ok, err := b.Channel(t).Get(b.NS+".sink", true)
		if err != nil {
			t.Fatal(err)
		}
		got = d
		return ok
	})
	if want := "https://example.com/schemas/users.UserRegistered.v1.schema.json"; got.Headers[runtime.HeaderDataSchema] != want {
		t.Errorf("dataschema %v, want %s", got.Headers[runtime.HeaderDataSchema], want)
	}
}

// brokerUser is the user of the broker URL.
func brokerUser(t *testing.T, url string) string {
	t.Helper()
	u, err := amqp.ParseURI(url)
	if err != nil {
		t.Fatal(errors.Join(errors.New("broker URL"), err))
	}
	return u.Username
}

// A handler's event over Config.MaxEventBytes is refused when the handler
// publishes it, not later by the relay.
func TestHandlerPublishOverSizeLimit(t *testing.T) {
	bus := service.NewInProcessBus()
	got := make(chan error, 1)
	billing, _ := newService(t, service.Config{Contract: billingContract, Transport: service.InProcess(bus), Store: memory.New(), MaxEventBytes: 64})
	err := billing.Register(runtime.On(func(ctx context.Context, e userRegistered, m runtime.Meta) error {
		err := runtime.Publish(ctx, service.TxPublisher(ctx), invoicePaid{InvoiceID: strings.Repeat("i", 64)})
		got <- err
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	startReady(t, billing)
	users, _ := newService(t, service.Config{Contract: usersContract, Transport: service.InProcess(bus), Store: memory.New()})
	if err := users.Publish(context.Background(), encode(t, userRegistered{UserID: "u1"})); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-got:
		if !runtime.IsPermanent(err) || !strings.Contains(err.Error(), "more than Config.MaxEventBytes (64)") {
			t.Errorf("handler's publish: %v, want a Permanent error naming the limit", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the handler was not called within 10s")
	}
}

// The settings of issue 16 that New refuses, each with what to do.
func TestEventCheckConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*service.Config)
		want string
	}{
		{"negative size limit", func(c *service.Config) { c.MaxEventBytes = -1 }, "Config.MaxEventBytes is -1: want at least 1"},
		{"relative schema URL", func(c *service.Config) { c.SchemaBaseURL = "schemas/" }, `Config.SchemaBaseURL: "schemas/": want an absolute URL`},
		{"verify in process", func(c *service.Config) {
			c.Transport, c.PublisherUsers.Verify = service.InProcess(service.NewInProcessBus()), true
		}, "Config.PublisherUsers.Verify needs the AMQP transport"},
		{"verify over a Watermill Pub/Sub", func(c *service.Config) {
			gc := gochannel.NewGoChannel(gochannel.Config{}, watermill.NopLogger{})
			c.Transport, c.PublisherUsers.Verify = pubsub.New(pubsub.GoChannel(gc)), true
		}, "Config.PublisherUsers.Verify needs the AMQP transport"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := service.Config{Contract: billingContract, Transport: service.AMQP("amqp://127.0.0.1:5672/"), Store: memory.New()}
			tc.mod(&cfg)
			_, err := service.New(cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
