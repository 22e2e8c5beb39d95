package usersevents

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/evgenhq/evgen/runtime"
)

// The publisher of events declared at two versions: one call sends both,
// in one call of the runtime.Publisher, each under its own routing
// identity and ID.

type capture struct {
	calls [][]*message.Message
}

func (c *capture) Publish(_ context.Context, msgs ...*message.Message) error {
	c.calls = append(c.calls, msgs)
	return nil
}

type converter struct{ err error }

func (c converter) UserRenamedV1(e UserRenamed) (UserRenamedV1, error) {
	return UserRenamedV1{UserID: e.UserID, Name: e.DisplayName}, c.err
}

const userID = "0190f2a4-7d3c-7b11-9c2e-5b8f1d3e4a21"

// sent is what one message carries, for comparison.
type sent struct{ id, typ, version, payload, correlation string }

func sentOf(m *message.Message) sent {
	md := m.Metadata
	return sent{m.UUID, md.Get(runtime.HeaderType), md.Get(runtime.HeaderEventVersion), string(m.Payload), md.Get(runtime.HeaderCorrelationID)}
}

func TestPublishSendsEveryVersionInOneCall(t *testing.T) {
	v1ID := runtime.VersionID("id-1", 1)
	for _, tc := range []struct {
		name    string
		publish func(*Publisher) error
		want    []sent
	}{
		{"subset copied", func(p *Publisher) error {
			return p.PublishUserEmailChanged(context.Background(), UserEmailChanged{UserID: userID, Email: "a@example.com", Verified: true, Version: 3}, runtime.WithID("id-1"))
		}, []sent{
			{"id-1", "users.UserEmailChanged", "2", `{"user_id":"` + userID + `","email":"a@example.com","verified":true,"version":3}`, "id-1"},
			{v1ID, "users.UserEmailChanged", "1", `{"user_id":"` + userID + `","email":"a@example.com","version":3}`, "id-1"},
		}},
		{"converted", func(p *Publisher) error {
			return p.PublishUserRenamed(context.Background(), UserRenamed{UserID: userID, DisplayName: "Ada"}, runtime.WithID("id-1"))
		}, []sent{
			{"id-1", "users.UserRenamed", "2", `{"user_id":"` + userID + `","display_name":"Ada"}`, "id-1"},
			{v1ID, "users.UserRenamed", "1", `{"user_id":"` + userID + `","name":"Ada"}`, "id-1"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c capture
			if err := tc.publish(NewPublisher(&c, converter{})); err != nil {
				t.Fatal(err)
			}
			if len(c.calls) != 1 || len(c.calls[0]) != len(tc.want) {
				t.Fatalf("%d calls of the runtime.Publisher (%v), want one with %d messages", len(c.calls), c.calls, len(tc.want))
			}
			for i, m := range c.calls[0] {
				if got := sentOf(m); got != tc.want[i] {
					t.Errorf("message %d:\n got  %+v\n want %+v", i, got, tc.want[i])
				}
			}
		})
	}
}

// TestRetrySameIDsAndFreshIDsDistinct: a retry with the same WithID
// repeats both IDs, so inboxes drop it; without WithID each call gets a
// fresh ID and the versions of one change never share one.
func TestRetrySameIDsAndFreshIDsDistinct(t *testing.T) {
	var c capture
	p := NewPublisher(&c, converter{})
	e := UserEmailChanged{UserID: userID, Email: "a@example.com", Version: 1}
	for _, opts := range [][]runtime.PublishOption{{runtime.WithID("id-7")}, {runtime.WithID("id-7")}, nil} {
		if err := p.PublishUserEmailChanged(context.Background(), e, opts...); err != nil {
			t.Fatal(err)
		}
	}
	first, retry, fresh := c.calls[0], c.calls[1], c.calls[2]
	if first[0].UUID != retry[0].UUID || first[1].UUID != retry[1].UUID {
		t.Errorf("retry with the same ID sent IDs %s, %s; first %s, %s", retry[0].UUID, retry[1].UUID, first[0].UUID, first[1].UUID)
	}
	if fresh[0].UUID == fresh[1].UUID || fresh[0].UUID == first[0].UUID {
		t.Errorf("fresh publish sent IDs %s and %s (first call %s); want two new distinct IDs", fresh[0].UUID, fresh[1].UUID, first[0].UUID)
	}
	if got := fresh[1].Metadata.Get(runtime.HeaderCorrelationID); got != fresh[0].UUID {
		t.Errorf("v1's correlation ID %q, want the newest version's ID %q: one change, one conversation", got, fresh[0].UUID)
	}
}

func TestPublishSendsNothingWhenAVersionFails(t *testing.T) {
	boom := errors.New("no name")
	for _, tc := range []struct {
		name    string
		p       func(*capture) *Publisher
		e       UserRenamed
		wantErr string
	}{
		{"converter fails", func(c *capture) *Publisher { return NewPublisher(c, converter{err: boom}) },
			UserRenamed{UserID: userID, DisplayName: "Ada"}, "convert users.UserRenamed v2 to v1: no name"},
		{"no converter", func(c *capture) *Publisher { return NewPublisher(c, nil) },
			UserRenamed{UserID: userID, DisplayName: "Ada"}, "publish users.UserRenamed v1: the Publisher has no Converter; pass one to NewPublisher"},
		{"newest invalid", func(c *capture) *Publisher { return NewPublisher(c, converter{}) },
			UserRenamed{UserID: "not-a-uuid", DisplayName: "Ada"}, "publish users.UserRenamed: invalid event"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c capture
			err := tc.p(&c).PublishUserRenamed(context.Background(), tc.e)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tc.wantErr)
			}
			if len(c.calls) != 0 {
				t.Errorf("%d calls of the runtime.Publisher after a failure, want none", len(c.calls))
			}
		})
	}
}

func TestContractPublishesBothVersions(t *testing.T) {
	var got []string
	for _, e := range Contract.Publishes {
		got = append(got, runtime.RoutingKey(e.Type, e.Version))
	}
	want := []string{"users.UserEmailChanged.v2", "users.UserEmailChanged.v1", "users.UserRenamed.v2", "users.UserRenamed.v1"}
	if !slices.Equal(got, want) {
		t.Errorf("publishes %v, want %v", got, want)
	}
}
