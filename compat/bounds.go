package compat

import (
	"fmt"
	"strings"

	"github.com/evgenhq/evgen/schema"
)

// boundChanges are the changes of one field's bounds, split by direction:
// a tighter bound rejects values the earlier one accepted, a looser one
// accepts values the earlier one rejected.
type boundChanges struct {
	tighter, looser []string
}

// bounds compares the bounds of a field kept under its name with its type.
// A tighter bound breaks replay: consumers generated from the later
// contract reject the events of the log, and those of producers not yet
// redeployed, that break it. A looser one breaks live: consumers deployed
// from the earlier contract reject new events beyond the old bound.
func (c *comparison) bounds(s fieldScope, o, n *schema.Field) {
	var ch boundChanges
	ob, nb := o.Bounds, n.Bounds
	ch.minimum("min_length", ob.MinLength, nb.MinLength)
	ch.maximum("max_length", ob.MaxLength, nb.MaxLength)
	ch.minimum("min_items", ob.MinItems, nb.MinItems)
	ch.maximum("max_items", ob.MaxItems, nb.MaxItems)
	ch.pattern(ob.Pattern, nb.Pattern)
	if len(ch.tighter) > 0 {
		c.add(BoundTightened, n.Pos, fmt.Sprintf("%s: field %s bounded tighter: %s", s.what, n.Name, strings.Join(ch.tighter, ", ")),
			effect(Replay, s.replay, fmt.Sprintf("their decoders reject the events of the log, and of producers not yet redeployed, whose %s breaks the new bound", n.Name)))
	}
	if len(ch.looser) > 0 {
		c.add(BoundLoosened, n.Pos, fmt.Sprintf("%s: field %s bounded looser: %s", s.what, n.Name, strings.Join(ch.looser, ", ")),
			effect(Live, s.live, fmt.Sprintf("their deployed decoders reject new events whose %s breaks the old bound", n.Name)))
	}
}

// minimum compares a lower bound; 0 is none.
func (ch *boundChanges) minimum(key string, o, n int) {
	switch {
	case n > o:
		ch.tighter = append(ch.tighter, fmt.Sprintf("%s %s", key, change(o, n)))
	case n < o:
		ch.looser = append(ch.looser, fmt.Sprintf("%s %s", key, change(o, n)))
	}
}

// maximum compares an upper bound; 0 is none, looser than any.
func (ch *boundChanges) maximum(key string, o, n int) {
	switch {
	case o == n:
	case o == 0 || n != 0 && n < o:
		ch.tighter = append(ch.tighter, fmt.Sprintf("%s %s", key, change(o, n)))
	default:
		ch.looser = append(ch.looser, fmt.Sprintf("%s %s", key, change(o, n)))
	}
}

// pattern compares patterns. Two different ones are reported both ways:
// whether either admits all the other does is not decidable here.
func (ch *boundChanges) pattern(o, n string) {
	what := fmt.Sprintf("pattern %q to %q", o, n)
	switch {
	case o == n:
	case o == "":
		ch.tighter = append(ch.tighter, fmt.Sprintf("pattern %q added", n))
	case n == "":
		ch.looser = append(ch.looser, fmt.Sprintf("pattern %q removed", o))
	default:
		ch.tighter = append(ch.tighter, what)
		ch.looser = append(ch.looser, what)
	}
}

// change describes a bound going from o to n, where 0 is none.
func change(o, n int) string {
	switch {
	case o == 0:
		return fmt.Sprintf("%d added", n)
	case n == 0:
		return fmt.Sprintf("%d removed", o)
	}
	return fmt.Sprintf("%d to %d", o, n)
}
