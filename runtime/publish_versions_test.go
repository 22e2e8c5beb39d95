package runtime_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/evgenhq/evgen/runtime"
)

// pvEvent is an event of any type and version, for PublishVersions.
type pvEvent struct {
	typ     string
	version int
}

func (e pvEvent) EventType() string { return e.typ }
func (e pvEvent) EventVersion() int { return e.version }
func (pvEvent) Validate() error     { return nil }

type pvCapture struct{ msgs []*message.Message }

func (c *pvCapture) Publish(_ context.Context, msgs ...*message.Message) error {
	c.msgs = append(c.msgs, msgs...)
	return nil
}

// TestPublishVersionsRejectsWhatIsNotOneChange: versions of one change
// are one event type at distinct versions; anything else sends nothing.
func TestPublishVersionsRejectsWhatIsNotOneChange(t *testing.T) {
	for _, tc := range []struct {
		name   string
		events []runtime.Event
		want   string
	}{
		{"none", nil, "publish versions: no event"},
		{"two types", []runtime.Event{pvEvent{"users.A", 2}, pvEvent{"users.B", 1}}, "publish versions: users.B v1 beside users.A: want one event type at distinct versions"},
		{"one version twice", []runtime.Event{pvEvent{"users.A", 2}, pvEvent{"users.A", 2}}, "publish versions: users.A v2 beside users.A: want one event type at distinct versions"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c pvCapture
			err := runtime.PublishVersions(context.Background(), &c, tc.events)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
			if len(c.msgs) != 0 {
				t.Errorf("sent %d messages, want none", len(c.msgs))
			}
		})
	}
}

// TestVersionIDIsStableAndDistinct: the same ID and version give the same
// ID wherever it is computed; another version or ID gives another.
func TestVersionIDIsStableAndDistinct(t *testing.T) {
	a := runtime.VersionID("0190f2a4-0000-7000-8000-000000000001", 1)
	if a != runtime.VersionID("0190f2a4-0000-7000-8000-000000000001", 1) {
		t.Error("VersionID differs between two calls")
	}
	for _, other := range []string{
		runtime.VersionID("0190f2a4-0000-7000-8000-000000000001", 2),
		runtime.VersionID("0190f2a4-0000-7000-8000-000000000002", 1),
		"0190f2a4-0000-7000-8000-000000000001",
	} {
		if other == a {
			t.Errorf("VersionID %s collides with %s", a, other)
		}
	}
}
