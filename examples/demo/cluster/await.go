package cluster

import (
	"context"
	"fmt"
	"time"
)

// pollEvery is how often Await asks again.
const pollEvery = 20 * time.Millisecond

// Await calls check until it reports done, check fails, or timeout passes.
// On timeout the error says what was awaited and what check last saw, so a
// failure explains itself. Events take effect asynchronously: a reader
// awaits the state it expects rather than sleeping.
func Await[T any](ctx context.Context, timeout time.Duration, what string, check func(context.Context) (T, bool, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last T
	var lastErr error
	for {
		v, done, err := check(ctx)
		if err == nil && done {
			return v, nil
		}
		if err == nil {
			last = v
		}
		lastErr = err
		select {
		case <-ctx.Done():
			if lastErr != nil {
				return last, fmt.Errorf("waited %v for %s; last error: %w", timeout, what, lastErr)
			}
			return last, fmt.Errorf("waited %v for %s; last seen: %+v", timeout, what, last)
		case <-time.After(pollEvery):
		}
	}
}
