package main

import (
	"fmt"
	"strconv"
)

// target is one goal from the benchmark issue, checked against the medians
// of the same run: relative to another case, an absolute bound on the
// case's metric, or a bound on one of its counts per 1,000 events.
type target struct {
	Of     string  // relative: the other case
	Factor float64 // relative: value >= Factor x median(Of) (throughput)
	Bound  float64 // absolute: value < Bound (latency, time), or count per 1,000 events < Bound
	Unit   string  // absolute: the unit Bound is in, for the table
	Count  string  // per 1,000 events: the key in result.Extra, "" otherwise
}

// atLeast is a throughput goal relative to another case.
func atLeast(factor float64, of string) target { return target{Of: of, Factor: factor} }

// below is an upper bound on a latency or a duration.
func below(bound float64, unit string) target { return target{Bound: bound, Unit: unit} }

// fewerPerThousand is an upper bound on a count per 1,000 events.
func fewerPerThousand(count string, bound float64) target { return target{Count: count, Bound: bound} }

func (t target) String() string {
	switch {
	case t.Count != "":
		return fmt.Sprintf("%s per 1,000 events < %s", t.Count, thousands(t.Bound))
	case t.Of == "":
		return "< " + strconv.FormatFloat(t.Bound, 'g', -1, 64) + " " + t.Unit
	case t.Factor < 1:
		return fmt.Sprintf(">= %.0f%% of %s", t.Factor*100, t.Of)
	default:
		return fmt.Sprintf(">= %gx %s", t.Factor, t.Of)
	}
}

// verdict is a checked target.
type verdict struct {
	Target string `json:"target"`
	Status string `json:"status"` // "PASS", "MISS", or "n/a" when the other case did not run
	Actual string `json:"actual,omitempty"`
}

// check judges a case whose median is value and whose last run is last;
// medians holds the other cases of the run.
func (t target) check(value float64, last result, medians map[string]float64) verdict {
	v := verdict{Target: t.String()}
	switch {
	case t.Count != "":
		if last.Events == 0 {
			v.Status = "n/a"
			return v
		}
		per := float64(last.Extra[t.Count]) * 1000 / float64(last.Events)
		v.Status = passMiss(per < t.Bound)
		v.Actual = fmt.Sprintf("%s, %.0f%%", thousands(per), per/t.Bound*100)
	case t.Of == "":
		v.Status = passMiss(value < t.Bound)
	default:
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
	}
	return v
}

func passMiss(ok bool) string {
	if ok {
		return "PASS"
	}
	return "MISS"
}
