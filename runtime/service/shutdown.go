package service

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/evgenhq/evgen/runtime"
)

// Shutdown. When Run's context ends, the consumer stops taking deliveries
// and the worker finishes what it holds with a context that is not
// cancelled, so that a commit in progress goes through. A handler that
// never returns would hold Run forever; ShutdownTimeout bounds that wait.
// At the deadline the work context is cancelled (database/sql then rolls
// the inbox transaction back, releasing the claim for another replica),
// the connection is closed (the broker requeues every unacked delivery)
// and Run returns an error naming the handlers still running. Their
// goroutines cannot be stopped from outside; whatever they do later
// cannot be acked on the closed channel.

// drainer waits for the worker once consuming has stopped.
type drainer struct {
	s          *Service
	workerDone <-chan struct{}
	abandon    context.CancelFunc // cancels the work context
	late       error              // set when the deadline passed
}

// drain returns when the worker has settled the deliveries it holds, or
// ShutdownTimeout after it was called, whichever comes first.
func (d *drainer) drain() {
	t := time.NewTimer(d.s.cfg.ShutdownTimeout)
	defer t.Stop()
	select {
	case <-d.workerDone:
	case <-t.C:
		d.late = d.s.inFlight.overdue(d.s.cfg.ShutdownTimeout)
		d.abandon()
	}
}

// inFlight is the set of handler calls running, for the shutdown error.
type inFlight struct {
	mu    sync.Mutex
	calls map[*delivery]runtime.Meta
}

func (f *inFlight) add(d *delivery, m runtime.Meta) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls == nil {
		f.calls = map[*delivery]runtime.Meta{}
	}
	f.calls[d] = m
}

func (f *inFlight) remove(d *delivery) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.calls, d)
}

// overdue describes what did not finish within timeout.
func (f *inFlight) overdue(timeout time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.calls) == 0 {
		return fmt.Errorf("shutdown timed out after %v: the worker did not finish committing or acking its deliveries; they were left unacked for the broker to redeliver", timeout)
	}
	errs := make([]error, 0, len(f.calls))
	for _, m := range f.calls {
		errs = append(errs, fmt.Errorf("shutdown timed out after %v: the handler of event %s v%d (id %s) did not finish; its delivery was left unacked for the broker to redeliver (raise Config.ShutdownTimeout if handlers need longer)", timeout, m.Type, m.Version, m.ID))
	}
	return errors.Join(errs...)
}
