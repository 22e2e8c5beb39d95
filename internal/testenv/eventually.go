package testenv

import (
	"testing"
	"time"
)

// pollEvery is how often Eventually checks its condition: often enough not
// to slow tests down, rarely enough not to load a shared machine.
const pollEvery = 10 * time.Millisecond

// Eventually polls cond until it holds and fails t if it still does not
// after timeout, naming what it waited for. It is the one polling helper
// of the repository's tests, for conditions no channel signals; cond runs
// on the test goroutine, so it may call t.Fatal.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		<-tick.C
	}
}
