package service

import (
	"context"
	"log/slog"
	"sync"

	"github.com/evgenhq/evgen/runtime"
	"github.com/prometheus/client_golang/prometheus"
)

// reactions compares what handlers publish with what their contract
// declares they publish in reaction (EventInfo.Emits), so that the
// declared choreography and the running one cannot drift apart unnoticed.
// An undeclared publication still goes through: it is counted in
// evgen_undeclared_emits_total and logged at WARN once per (handler,
// emitted) pair. A consumed event without declared emits is not checked.
type reactions struct {
	service  string
	declared map[string]map[string]bool // handled type -> emitted types, for entries that declare emits
	counter  *prometheus.CounterVec
	log      *slog.Logger

	mu     sync.Mutex
	warned map[[2]string]bool // (handled, emitted) pairs already logged
}

func newReactions(c runtime.Contract, counter *prometheus.CounterVec, log *slog.Logger) *reactions {
	r := &reactions{service: c.Service, declared: map[string]map[string]bool{}, counter: counter, log: log, warned: map[[2]string]bool{}}
	for _, e := range c.Consumes {
		if !e.EmitsDeclared {
			continue
		}
		emits := make(map[string]bool, len(e.Emits))
		for _, t := range e.Emits {
			emits[t] = true
		}
		r.declared[e.Type] = emits
	}
	return r
}

// published records that the handler of handled published emitted.
func (r *reactions) published(ctx context.Context, handled, emitted string) {
	emits, checked := r.declared[handled]
	if !checked || emits[emitted] {
		return
	}
	r.counter.WithLabelValues(r.service, handled, emitted).Inc()
	pair := [2]string{handled, emitted}
	r.mu.Lock()
	first := !r.warned[pair]
	r.warned[pair] = true
	r.mu.Unlock()
	if first {
		r.log.WarnContext(ctx, "handler published an event its contract does not declare in emits; add it to the contract or stop publishing it",
			"handler", handled, "emitted", emitted)
	}
}
