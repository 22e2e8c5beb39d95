package main

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"
)

// metric is what a case is judged by, and which way is better.
type metric int

const (
	eventsPerSecond metric = iota // throughput: higher is better
	p99Millis                     // latency: lower is better
	seconds                       // generator wall time: lower is better
)

func (m metric) unit() string {
	switch m {
	case p99Millis:
		return "p99 ms"
	case seconds:
		return "s"
	default:
		return "events/s"
	}
}

func (m metric) higherIsBetter() bool { return m == eventsPerSecond }

// benchCase is one line of the table.
type benchCase struct {
	Name    string
	Group   string // "publish", "consume", "pipeline", "latency", "generate"
	About   string // one line for -list and the docs
	Metric  metric
	Ceiling string   // the case this one's ratio is computed against, "" for none
	Targets []target // checked against the medians of the same run
	Run     func(ctx context.Context, e *env) (result, error)
}

// queueType is the type of the queue the case uses: benchQueueType for
// every case with a broker, "" for the generator's.
func (c benchCase) queueType() string {
	if c.Group == "generate" {
		return ""
	}
	return string(benchQueueType)
}

// result is one run of one case.
type result struct {
	Events   int               `json:"events"`
	Elapsed  time.Duration     `json:"elapsed_ns"`
	Rate     float64           `json:"events_per_s,omitempty"`
	P50      time.Duration     `json:"p50_ns,omitempty"`
	P99      time.Duration     `json:"p99_ns,omitempty"`
	Extra    map[string]int64  `json:"extra,omitempty"` // case-specific counts, such as generated lines
	Notes    map[string]string `json:"notes,omitempty"`
	Repeat   int               `json:"repeat"`
	CaseName string            `json:"case"`
}

// value is the number the case is judged by.
func (r result) value(m metric) float64 {
	switch m {
	case p99Millis:
		return float64(r.P99) / float64(time.Millisecond)
	case seconds:
		return r.Elapsed.Seconds()
	default:
		return r.Rate
	}
}

func throughput(events int, elapsed time.Duration) result {
	return result{Events: events, Elapsed: elapsed, Rate: float64(events) / elapsed.Seconds()}
}

// errList asks main to print the cases instead of running them.
var errList = errors.New("list cases")

// selectCases returns the cases whose names match one of the comma-separated
// names or globs in spec, in registry order.
func selectCases(all []benchCase, spec string) ([]benchCase, error) {
	var patterns []string
	for _, p := range strings.Split(spec, ",") {
		if p = strings.TrimSpace(p); p != "" {
			if _, err := path.Match(p, ""); err != nil {
				return nil, fmt.Errorf("-cases: bad pattern %q: %w", p, err)
			}
			patterns = append(patterns, p)
		}
	}
	var out []benchCase
	used := make(map[string]bool)
	for _, c := range all {
		for _, p := range patterns {
			if ok, _ := path.Match(p, c.Name); ok { // patterns were checked above
				out = append(out, c)
				used[p] = true
				break
			}
		}
	}
	for _, p := range patterns {
		if !used[p] {
			return nil, fmt.Errorf("-cases: %q matches no case (run with -list to see them)", p)
		}
	}
	return out, nil
}
