package main

import (
	"fmt"
	"strconv"
)

// target is one goal from the benchmark issue, checked against the medians
// of the same run: either relative to another case, or an absolute bound.
type target struct {
	Of     string  // the other case, "" for an absolute bound
	Factor float64 // relative: value >= Factor x median(Of) (for throughput)
	Bound  float64 // absolute: value < Bound (for latency and time)
}

// atLeast is a throughput goal relative to another case.
func atLeast(factor float64, of string) target { return target{Of: of, Factor: factor} }

// below is an upper bound on a latency or a duration.
func below(bound float64) target { return target{Bound: bound} }

func (t target) String() string {
	if t.Of == "" {
		return "< " + strconv.FormatFloat(t.Bound, 'g', -1, 64)
	}
	if t.Factor < 1 {
		return fmt.Sprintf(">= %.0f%% of %s", t.Factor*100, t.Of)
	}
	return fmt.Sprintf(">= %gx %s", t.Factor, t.Of)
}

// verdict is a checked target.
type verdict struct {
	Target string `json:"target"`
	Status string `json:"status"` // "PASS", "MISS", or "n/a" when the other case did not run
	Actual string `json:"actual,omitempty"`
}

// check judges value against t; medians holds the other cases of the run.
func (t target) check(value float64, medians map[string]float64) verdict {
	v := verdict{Target: t.String()}
	if t.Of == "" {
		v.Status = passMiss(value < t.Bound)
		return v
	}
	other, ok := medians[t.Of]
	if !ok || other == 0 {
		v.Status = "n/a"
		return v
	}
	ratio := value / other
	v.Status = passMiss(ratio >= t.Factor)
	if t.Factor < 1 {
		v.Actual = fmt.Sprintf("%.0f%%", ratio*100)
	} else {
		v.Actual = fmt.Sprintf("%.2fx", ratio)
	}
	return v
}

func passMiss(ok bool) string {
	if ok {
		return "PASS"
	}
	return "MISS"
}
