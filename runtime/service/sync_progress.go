package service

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/evgenhq/evgen/runtime"
	"github.com/prometheus/client_golang/prometheus"
)

// ProgressBar returns a SyncOptions.Progress function that redraws one
// line on w, a terminal, as a bar: "[#####-----] 512/1000 (51%) ...".
func ProgressBar(w io.Writer) func(runtime.SyncProgress) {
	const width = 30
	return func(p runtime.SyncProgress) {
		filled := 0
		if t := p.Total(); t > 0 {
			filled = int(min(int64(width), width*p.Read/t))
		}
		if p.Done {
			filled = width
		}
		fmt.Fprintf(w, "\r%s [%s%s] %s\x1b[K", p.Producer, strings.Repeat("#", filled), strings.Repeat("-", width-filled), p)
		if p.Done {
			fmt.Fprintln(w)
		}
	}
}

// syncTracker counts a sync's progress, reports it, and keeps its metrics.
type syncTracker struct {
	s     *Service
	opts  runtime.SyncOptions
	began time.Time
	m     *syncMetrics

	mu sync.Mutex
	p  runtime.SyncProgress
}

func newSyncTracker(s *Service, producer string, opts runtime.SyncOptions) *syncTracker {
	return &syncTracker{
		s: s, opts: opts, began: time.Now(), m: s.syncMetrics(producer),
		p: runtime.SyncProgress{Producer: producer, First: -1, Offset: -1, Tail: -1},
	}
}

func (t *syncTracker) setTail(off int64) {
	t.mu.Lock()
	t.p.Tail = off
	t.mu.Unlock()
	t.m.tail.Set(float64(off))
}

func (t *syncTracker) read(off int64) {
	t.mu.Lock()
	if t.p.First < 0 {
		t.p.First = off
	}
	t.p.Offset = off
	t.p.Read++
	t.mu.Unlock()
	t.m.offset.Set(float64(off))
}

func (t *syncTracker) count(o syncOutcome) {
	t.mu.Lock()
	switch o {
	case outcomeApplied:
		t.p.Applied++
	case outcomeDuplicate:
		t.p.Duplicates++
	case outcomeSkipped:
		t.p.Skipped++
	case outcomeDeadLettered:
		t.p.DeadLettered++
	}
	t.mu.Unlock()
	t.m.events.WithLabelValues(t.s.cfg.Contract.Service, t.p.Producer, o.String()).Inc()
}

func (t *syncTracker) snapshot() runtime.SyncProgress {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.p
	p.Elapsed = time.Since(t.began)
	if secs := p.Elapsed.Seconds(); secs > 0 {
		p.Rate = float64(p.Read) / secs
	}
	return p
}

// report logs the progress and passes it to the callback.
func (t *syncTracker) report(done bool) runtime.SyncProgress {
	p := t.snapshot()
	p.Done = done
	if left := p.Left(); left >= 0 {
		t.m.left.Set(left.Seconds())
	}
	msg := "sync progress"
	if done {
		msg = "sync done"
	}
	t.s.log.Info(msg, "producer", p.Producer, "read", p.Read, "of_about", p.Total(), "applied", p.Applied,
		"duplicates", p.Duplicates, "skipped", p.Skipped, "dead_lettered", p.DeadLettered,
		"rate_per_s", int64(p.Rate), "left", p.Left().Round(time.Second))
	if t.opts.Progress != nil {
		t.opts.Progress(p)
	}
	return p
}

// finish reports the last progress: done when err is nil.
func (t *syncTracker) finish(err error) runtime.SyncProgress {
	t.m.running.Set(0)
	if err != nil {
		p := t.snapshot()
		t.s.log.Warn("sync stopped", "producer", p.Producer, "read", p.Read, "offset", p.Offset, "err", err)
		return p
	}
	return t.report(true)
}

func (o syncOutcome) String() string {
	return [...]string{"applied", "duplicate", "skipped", "dead_lettered"}[o]
}

// syncMetrics are the gauges and counter of one producer's sync.
type syncMetrics struct {
	running, offset, tail, left prometheus.Gauge
	events                      *prometheus.CounterVec
}

// syncMetrics registers the sync collectors with the service's registry
// (once per registry: register returns the existing ones) and returns
// those of producer, with running set.
func (s *Service) syncMetrics(producer string) *syncMetrics {
	labels := []string{"service", "producer"}
	gauge := func(name, help string) *prometheus.GaugeVec {
		g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "evgen", Subsystem: "sync", Name: name, Help: help}, labels)
		if s.cfg.Metrics != nil {
			if existing, err := register(s.cfg.Metrics, g); err == nil {
				g = existing
			} else {
				s.log.Warn("register sync metrics", "err", err)
			}
		}
		return g
	}
	events := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "evgen", Subsystem: "sync", Name: "events_total",
		Help: "Events read from producers' event logs by syncs, by outcome: applied, duplicate, skipped, dead_lettered.",
	}, []string{"service", "producer", "outcome"})
	if s.cfg.Metrics != nil {
		if existing, err := register(s.cfg.Metrics, events); err == nil {
			events = existing
		}
	}
	lv := []string{s.cfg.Contract.Service, producer}
	m := &syncMetrics{
		running: gauge("running", "1 while a sync from the producer's event log runs.").WithLabelValues(lv...),
		offset:  gauge("offset", "Offset of the latest message a sync read from the producer's event log.").WithLabelValues(lv...),
		tail:    gauge("tail_offset", "Offset of the running sync's marker: the log's end as of its start.").WithLabelValues(lv...),
		left:    gauge("seconds_left", "Estimated seconds until the running sync reaches its marker.").WithLabelValues(lv...),
		events:  events,
	}
	m.running.Set(1)
	return m
}
