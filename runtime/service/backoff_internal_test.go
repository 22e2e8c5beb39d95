package service

import (
	"strings"
	"testing"
	"time"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/store/memory"
)

// The reconnect backoff is capped at 1s, so a service works again within
// about a second of the broker coming back, and jittered, so replicas do
// not meet a restarted broker at once; handler retries keep their
// documented, unjittered schedule.
func TestBackoffDelay(t *testing.T) {
	var c Config
	c.setDefaults()
	cases := []struct {
		name   string
		b      Backoff
		n      int
		lo, hi time.Duration
	}{
		{"retry, first wait", c.Retry.Backoff, 1, 100 * time.Millisecond, 100 * time.Millisecond},
		{"retry, doubled", c.Retry.Backoff, 3, 400 * time.Millisecond, 400 * time.Millisecond},
		{"retry, capped", c.Retry.Backoff, 50, 5 * time.Second, 5 * time.Second},
		{"connect, first wait", c.Connect, 1, 50 * time.Millisecond, 100 * time.Millisecond},
		{"connect, doubled", c.Connect, 3, 200 * time.Millisecond, 400 * time.Millisecond},
		{"connect, capped", c.Connect, 6, 500 * time.Millisecond, time.Second},
		{"connect, long outage", c.Connect, 10_000, 500 * time.Millisecond, time.Second},
		{"no jitter", Backoff{Initial: time.Second, Max: time.Second, Multiplier: 2}, 4, time.Second, time.Second},
		{"full jitter", Backoff{Initial: time.Second, Max: time.Second, Multiplier: 2, Jitter: 1}, 4, 0, time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lo, hi := time.Duration(1<<62), time.Duration(0)
			for range 2000 {
				d := tc.b.delay(tc.n)
				lo, hi = min(lo, d), max(hi, d)
			}
			if lo < tc.lo || hi > tc.hi {
				t.Fatalf("delay(%d) of %+v ranged over [%v, %v]; want within [%v, %v]", tc.n, tc.b, lo, hi, tc.lo, tc.hi)
			}
			// 2000 uniform draws leave less than a tenth of the range
			// uncovered at either end with overwhelming probability.
			if span, want := hi-lo, (tc.hi-tc.lo)*8/10; span < want {
				t.Fatalf("delay(%d) of %+v spread over %v; want at least %v of jitter", tc.n, tc.b, span, want)
			}
		})
	}
}

func TestBackoffValidation(t *testing.T) {
	for _, j := range []float64{-0.1, 1.5} {
		c := Config{Contract: runtime.Contract{Service: "svc"}, Transport: InProcess(NewInProcessBus()), Store: memory.New(), Connect: Backoff{Jitter: j}}
		c.setDefaults()
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "Jitter") {
			t.Errorf("Jitter %v: got %v, want an error naming Jitter", j, err)
		}
	}
}
