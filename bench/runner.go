package main

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// caseReport is one case over all its runs.
type caseReport struct {
	Case     string    `json:"case"`
	Group    string    `json:"group"`
	Queue    string    `json:"queue_type,omitempty"` // the queue type the case publishes into or consumes from
	Unit     string    `json:"unit"`
	Median   float64   `json:"median"`               // of the metric the case is judged by
	P50      float64   `json:"p50_ms,omitempty"`     // latency cases: median of the runs' p50
	LagP50   float64   `json:"lag_p50_ms,omitempty"` // throughput cases that measure a lag (the outbox relay's): medians of the runs'
	LagP99   float64   `json:"lag_p99_ms,omitempty"`
	Ceiling  string    `json:"ceiling,omitempty"` // the case Ratio is against
	Ratio    float64   `json:"ratio,omitempty"`   // Median / the ceiling's median
	Verdicts []verdict `json:"targets,omitempty"`
	Runs     []result  `json:"runs"`
	Error    string    `json:"error,omitempty"`

	metric metric
}

// runCases runs every case -repeat times, in order, then computes medians,
// ratios and verdicts. A case that fails is reported and the others still
// run; a cancelled ctx ends the run in progress and runs no more.
func runCases(ctx context.Context, e *env, cases []benchCase) []caseReport {
	var reports []caseReport
	for _, c := range cases {
		if ctx.Err() != nil {
			break
		}
		reports = append(reports, runCase(ctx, e, c))
	}
	judge(reports, cases)
	return reports
}

func runCase(ctx context.Context, e *env, c benchCase) caseReport {
	rep := caseReport{Case: c.Name, Group: c.Group, Queue: c.queueType(), Unit: c.Metric.unit(), Ceiling: c.Ceiling, metric: c.Metric}
	for i := range e.cfg.Repeat {
		start := time.Now()
		res, err := c.Run(ctx, e)
		if err != nil {
			rep.Error = err.Error()
			fmt.Fprintf(e.log, "%-32s run %d/%d: error: %v\n", c.Name, i+1, e.cfg.Repeat, err)
			break
		}
		res.Repeat, res.CaseName = i+1, c.Name
		rep.Runs = append(rep.Runs, res)
		fmt.Fprintf(e.log, "%-32s run %d/%d: %s (%s)\n", c.Name, i+1, e.cfg.Repeat, describe(c.Metric, res), time.Since(start).Round(time.Millisecond))
	}
	values := make([]float64, len(rep.Runs))
	p50s := make([]float64, len(rep.Runs))
	p99s := make([]float64, len(rep.Runs))
	for i, r := range rep.Runs {
		values[i] = r.value(c.Metric)
		p50s[i], p99s[i] = ms(r.P50), ms(r.P99)
	}
	rep.Median = median(values)
	switch {
	case c.Metric == p99Millis:
		rep.P50 = median(p50s)
	case median(p99s) > 0:
		rep.LagP50, rep.LagP99 = median(p50s), median(p99s)
	}
	return rep
}

// judge fills in ratios and verdicts from the medians of the cases that ran
// without error.
func judge(reports []caseReport, cases []benchCase) {
	byName := make(map[string]benchCase, len(cases))
	for _, c := range cases {
		byName[c.Name] = c
	}
	medians := make(map[string]float64)
	for _, r := range reports {
		if r.Error == "" && len(r.Runs) > 0 {
			medians[r.Case] = r.Median
		}
	}
	for i := range reports {
		r := &reports[i]
		if _, ok := medians[r.Case]; !ok {
			continue
		}
		if base, ok := medians[r.Ceiling]; ok && base > 0 {
			r.Ratio = r.Median / base
		}
		for _, t := range byName[r.Case].Targets {
			r.Verdicts = append(r.Verdicts, t.check(r.Median, r.Runs[len(r.Runs)-1], medians))
		}
	}
}

// median of values; 0 for none.
func median(values []float64) float64 {
	if len(values) == 0 {
		return 0
	}
	s := slices.Clone(values)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// describe formats one run for the progress log.
func describe(m metric, r result) string {
	switch m {
	case p99Millis:
		return fmt.Sprintf("p50 %.2f ms, p99 %.2f ms over %d events at %.0f/s", ms(r.P50), ms(r.P99), r.Events, r.Rate)
	case seconds:
		return fmt.Sprintf("%.3f s", r.Elapsed.Seconds())
	default:
		s := fmt.Sprintf("%.0f events/s (%d in %s)", r.Rate, r.Events, r.Elapsed.Round(time.Millisecond))
		if r.P99 > 0 {
			s += fmt.Sprintf(", lag p50 %.2f ms, p99 %.2f ms, writers alone %d/s", ms(r.P50), ms(r.P99), r.Extra["writers_per_s"])
		}
		if v, ok := r.Extra["accepted_per_s"]; ok {
			s += fmt.Sprintf(", %d/s accepted over HTTP", v)
		}
		return s
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
