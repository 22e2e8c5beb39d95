package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"
)

// printTable writes the summary: one line per case with its median, its
// ratio to its ceiling and its targets.
func printTable(w io.Writer, reports []caseReport) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CASE\tQUEUE\tMEDIAN\tRUNS\tVS CEILING\tTARGET")
	for _, r := range reports {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Case, orDash(r.Queue), r.formatMedian(), r.formatRuns(), r.formatRatio(), r.formatVerdicts())
	}
	return tw.Flush()
}

func (r caseReport) formatMedian() string {
	if r.Error != "" {
		return "ERROR: " + firstLine(r.Error)
	}
	switch r.metric {
	case p99Millis:
		return fmt.Sprintf("p50 %.2f ms, p99 %.2f ms", r.P50, r.Median)
	case seconds:
		s := fmt.Sprintf("%.3f s", r.Median)
		if len(r.Runs) > 0 {
			last := r.Runs[len(r.Runs)-1]
			if x := last.Extra; x != nil {
				s += fmt.Sprintf(" (%s: %d files, %s lines, %s KiB)", last.Notes["counted"], x["files"], thousands(float64(x["lines"])), thousands(float64(x["bytes"])/1024))
			}
		}
		return s
	default:
		s := thousands(r.Median) + " events/s"
		if r.LagP99 > 0 {
			s += fmt.Sprintf(" (lag p50 %.1f ms, p99 %.1f ms)", r.LagP50, r.LagP99)
		}
		return s
	}
}

// formatRuns shows the spread, so a reader sees how much the median means.
func (r caseReport) formatRuns() string {
	if len(r.Runs) == 0 {
		return "-"
	}
	lo, hi := r.Runs[0].value(r.metric), r.Runs[0].value(r.metric)
	for _, run := range r.Runs[1:] {
		lo, hi = min(lo, run.value(r.metric)), max(hi, run.value(r.metric))
	}
	if r.metric == eventsPerSecond {
		return fmt.Sprintf("%d: %s..%s", len(r.Runs), thousands(lo), thousands(hi))
	}
	return fmt.Sprintf("%d: %.2f..%.2f", len(r.Runs), lo, hi)
}

func (r caseReport) formatRatio() string {
	switch {
	case r.Ceiling == "" || r.Error != "":
		return "-"
	case r.Ceiling == r.Case:
		return "1.00 (ceiling)"
	case r.Ratio == 0:
		return "n/a"
	case r.metric.higherIsBetter():
		return fmt.Sprintf("%.2f of %s", r.Ratio, r.Ceiling)
	default:
		return fmt.Sprintf("%.1fx %s", r.Ratio, r.Ceiling)
	}
}

func (r caseReport) formatVerdicts() string {
	var parts []string
	for _, v := range r.Verdicts {
		s := v.Target + ": " + v.Status
		if v.Actual != "" {
			s += " (" + v.Actual + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// thousands formats a number rounded to an integer with comma separators.
func thousands(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// jsonReport is what -json writes: where, with what settings, every run.
type jsonReport struct {
	Started time.Time    `json:"started"`
	Machine machine      `json:"machine"`
	Config  jsonConfig   `json:"config"`
	Cases   []caseReport `json:"cases"`
}

type jsonConfig struct {
	AMQPURL     string `json:"amqp_url"`
	PostgresDSN string `json:"postgres_dsn"`
	Events      int    `json:"events"`
	Payload     int    `json:"payload_bytes"`
	Concurrency int    `json:"concurrency"`
	Consumers   int    `json:"consumers"`
	Channels    int    `json:"channels"`
	Batch       int    `json:"batch"`
	Repeat      int    `json:"repeat"`
	Rate        int    `json:"rate"`
	Duration    string `json:"duration"`
	Services    int    `json:"services"`
	GenEvents   int    `json:"gen_events"`
	Cases       string `json:"cases"`
}

func writeJSON(path string, started time.Time, m machine, c config, reports []caseReport) error {
	rep := jsonReport{Started: started, Machine: m, Cases: reports, Config: jsonConfig{
		AMQPURL: redactURL(c.AMQPURL), PostgresDSN: redactURL(c.PostgresDSN),
		Events: c.Events, Payload: c.Payload, Concurrency: c.Concurrency, Consumers: c.Consumers,
		Channels: c.Channels, Batch: c.Batch, Repeat: c.Repeat, Rate: c.Rate,
		Duration: c.Duration.String(), Services: c.Services, GenEvents: c.GenEvents, Cases: c.Cases,
	}}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("encode JSON report: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write JSON report: %w", err)
	}
	return nil
}
