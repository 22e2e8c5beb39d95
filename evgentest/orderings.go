package evgentest

import (
	"math/rand/v2"
	"slices"

	"github.com/evgenhq/evgen/runtime"
)

// chains groups the indexes of events that must keep their order: those
// of one producer and key when the contract orders that key's events
// (EventInfo.OrderBy). Every other event is a chain of its own. Chains
// come in the order of their first event.
func chains[H any](spec Spec[H], events []runtime.Event) [][]int {
	var out [][]int
	byKey := map[string]int{} // chain index by producer and key
	for i, e := range events {
		key, ordered := orderedKey(spec, e)
		if ordered {
			if c, ok := byKey[key]; ok {
				out[c] = append(out[c], i)
				continue
			}
			byKey[key] = len(out)
		}
		out = append(out, []int{i})
	}
	return out
}

// orderedKey is the producer and key of e when its contract orders the
// events of that key.
func orderedKey[H any](spec Spec[H], e runtime.Event) (string, bool) {
	info, ok := spec.consumed(e.EventType(), e.EventVersion())
	k, keyed := e.(runtime.Keyed)
	if !ok || info.OrderBy == "" || !keyed {
		return "", false
	}
	return info.Producer + "\x00" + info.Key + "\x00" + k.EventKey(), true
}

// orderings returns up to max interleavings of chains that keep each
// chain's order, none the straight order: the chains last to first, taken
// in turn, then drawn at random from a fixed seed, so every run of a test
// checks the same ones.
func orderings(chains [][]int, max int) [][]int {
	straight := slices.Concat(chains...)
	var out [][]int
	add := func(order []int) {
		if len(out) < max && !slices.Equal(order, straight) && !slices.ContainsFunc(out, func(o []int) bool { return slices.Equal(o, order) }) {
			out = append(out, order)
		}
	}
	reversed := slices.Clone(chains)
	slices.Reverse(reversed)
	add(slices.Concat(reversed...))
	add(interleave(chains, func(n int) int { return 0 }))
	rng := rand.New(rand.NewPCG(1, uint64(len(straight))))
	for range 20 * max {
		add(interleave(chains, rng.IntN))
	}
	return out
}

// interleave takes events from chains until all are taken: each time the
// next event of the chain pick chooses among those with events left
// (pick(n) in [0, n)). Picking 0 always takes the chains in turn.
func interleave(chains [][]int, pick func(n int) int) []int {
	rest := make([][]int, len(chains))
	copy(rest, chains)
	var out []int
	for len(rest) > 0 {
		c := pick(len(rest))
		out = append(out, rest[c][0])
		if rest[c] = rest[c][1:]; len(rest[c]) == 0 {
			rest = slices.Delete(rest, c, c+1)
		} else if c == 0 {
			rest = append(rest[1:], rest[0])
		}
	}
	return out
}
