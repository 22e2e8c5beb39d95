package site

import (
	"slices"
	"testing"
)

// TestReactionLanes gives overlapping reactions lanes of their own, the
// shortest innermost, and lets reactions that do not overlap share one.
func TestReactionLanes(t *testing.T) {
	ys := map[string]int{"a": 0, "b": 34, "c": 68, "d": 102, "e": 136, "f": 170}
	rs := []graphReaction{
		{from: "a", to: "d", by: "billing"}, // long, around the next
		{from: "b", to: "c", by: "users"},
		{from: "e", to: "f", by: "users"}, // clear of the others
	}
	l, width := reactionLanes(rs, ys)
	if want := []int{1, 0, 0}; !slices.Equal(l.of, want) || l.count != 2 {
		t.Errorf("lanes %v (%d), want %v (2)", l.of, l.count, want)
	}
	if want := len("billing")*15/2 + labelPad; width != want {
		t.Errorf("lane width %d, want %d (the longest label's)", width, want)
	}
	if l, _ := reactionLanes(nil, ys); l.count != 0 {
		t.Errorf("no reactions: %d lanes", l.count)
	}
}
