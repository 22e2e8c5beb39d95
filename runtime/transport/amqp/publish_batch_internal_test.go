package amqp

import (
	"fmt"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"
)

// chunkEnd cuts a relay's batch where an event ID repeats and at
// maxInFlight/2 events: publishInOrder takes every slot and ID of a chunk
// before writing, and a repeated ID or too many slots would wait forever.
func TestChunkEnd(t *testing.T) {
	ids := func(list ...string) []outgoing {
		out := make([]outgoing, len(list))
		for i, id := range list {
			out[i] = outgoing{pub: amqp.Publishing{MessageId: id}}
		}
		return out
	}
	many := make([]string, maxInFlight)
	for i := range many {
		many[i] = fmt.Sprint(i)
	}
	for _, tc := range []struct {
		name  string
		out   []outgoing
		start int
		want  int
	}{
		{"distinct", ids("a", "b", "c"), 0, 3},
		{"repeated ID", ids("a", "b", "a", "c"), 0, 2},
		{"after the repeat", ids("a", "b", "a", "c"), 2, 4},
		{"at the slot bound", ids(many...), 0, maxInFlight / 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := chunkEnd(tc.out, tc.start); got != tc.want {
				t.Errorf("chunkEnd from %d = %d, want %d", tc.start, got, tc.want)
			}
		})
	}
}
