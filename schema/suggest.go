package schema

import (
	"fmt"
	"strings"
)

// didYouMean returns ` (did you mean "x"?)` for the candidate closest to
// got, or "" when none is close enough to be a likely typo.
func didYouMean(got string, candidates []string) string {
	// Real contracts have tens of names; a hostile one with many thousands
	// would make suggestions quadratic, so it gets none.
	if len(candidates) > maxSuggestCandidates {
		return ""
	}
	best, bestDist := "", -1
	for _, c := range candidates {
		// Lengths far apart cannot be within maxTypos; skipping them also
		// keeps huge names in hostile input from costing quadratic time.
		if abs(len(got)-len(c)) > maxTypos(got) {
			continue
		}
		d := editDistance(strings.ToLower(got), strings.ToLower(c))
		if d <= maxTypos(got) && (bestDist < 0 || d < bestDist) {
			best, bestDist = c, d
		}
	}
	if best == "" || best == got {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

const maxSuggestCandidates = 1000

// maxTypos is how many edits still look like a typo of a name this long.
func maxTypos(s string) int {
	return min(max(len(s)/3, 1), 3)
}

// editDistance is the Levenshtein distance between a and b, in bytes;
// names in contracts are ASCII.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
