package amqp

import (
	"context"
	"strconv"
	"time"
)

// sleep waits d, or until ctx ends; it reports whether the wait completed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func atoiOr0(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
