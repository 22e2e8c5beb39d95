package evgentest

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/evgenhq/evgen/runtime"
)

// EventsOf decodes, in order, the messages of msgs that carry T's event
// type and version (what Delivered.Published or Service.Published hold,
// or DeadLetter.Message), and fails the test when one does not decode:
//
//	closed := evgentest.EventsOf[billingevents.AccountClosed](t, d.Published)
func EventsOf[T any, PT interface {
	*T
	runtime.Event
}](t testing.TB, msgs []*message.Message) []T {
	t.Helper()
	var zero T
	typ, version := PT(&zero).EventType(), strconv.Itoa(PT(&zero).EventVersion())
	var out []T
	for _, m := range msgs {
		if m.Metadata.Get(runtime.HeaderType) != typ || m.Metadata.Get(runtime.HeaderEventVersion) != version {
			continue
		}
		var e T
		if err := json.Unmarshal(m.Payload, PT(&e)); err != nil {
			t.Fatalf("evgentest: event %s (%s v%s) does not decode: %v", m.UUID, typ, version, err)
		}
		out = append(out, e)
	}
	return out
}
