package servicetest

import (
	"context"
	"sync"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
)

// Recorder collects what a testenv.UserRegistered handler saw, safely
// across goroutines.
type Recorder struct {
	mu     sync.Mutex
	ids    []string
	users  []string
	counts map[string]int
}

// Add records that the event m, about userID, was handled.
func (r *Recorder) Add(userID string, m runtime.Meta) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.counts == nil {
		r.counts = map[string]int{}
	}
	r.ids = append(r.ids, m.ID)
	r.users = append(r.users, userID)
	r.counts[m.ID]++
}

// Len is how many handlings were recorded.
func (r *Recorder) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.ids)
}

// Snapshot returns the user IDs in handling order and the times each event
// ID was handled.
func (r *Recorder) Snapshot() ([]string, map[string]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	counts := make(map[string]int, len(r.counts))
	for k, v := range r.counts {
		counts[k] = v
	}
	return append([]string(nil), r.users...), counts
}

// Handler is the UserRegistered handler that records into r.
func (r *Recorder) Handler() runtime.EventHandler {
	return runtime.On(func(_ context.Context, e testenv.UserRegistered, m runtime.Meta) error {
		r.Add(e.UserID, m)
		return nil
	})
}
