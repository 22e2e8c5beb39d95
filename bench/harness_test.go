package main

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSelectCases(t *testing.T) {
	all := []benchCase{{Name: "publish-raw"}, {Name: "publish-evgen"}, {Name: "consume-raw-pg-batch"}, {Name: "generate"}}
	tests := []struct {
		spec    string
		want    []string
		wantErr string
	}{
		{spec: "*", want: []string{"publish-raw", "publish-evgen", "consume-raw-pg-batch", "generate"}},
		{spec: "publish-*", want: []string{"publish-raw", "publish-evgen"}},
		{spec: "generate, publish-raw", want: []string{"publish-raw", "generate"}},
		{spec: "*raw*", want: []string{"publish-raw", "consume-raw-pg-batch"}},
		{spec: "publish-nope", wantErr: `"publish-nope" matches no case`},
		{spec: "[", wantErr: `bad pattern "["`},
	}
	for _, tt := range tests {
		got, err := selectCases(all, tt.spec)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("selectCases(%q) error = %v, want it to contain %s", tt.spec, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("selectCases(%q): %v", tt.spec, err)
			continue
		}
		var names []string
		for _, c := range got {
			names = append(names, c.Name)
		}
		if !slices.Equal(names, tt.want) {
			t.Errorf("selectCases(%q) = %v, want %v", tt.spec, names, tt.want)
		}
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
	}{
		{nil, 0}, {[]float64{5}, 5}, {[]float64{3, 1, 2}, 2}, {[]float64{4, 1, 3, 2}, 2.5},
	}
	for _, tt := range tests {
		if got := median(tt.in); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestTargetCheck(t *testing.T) {
	medians := map[string]float64{"raw": 1000, "wm": 200}
	last := result{Events: 2000, Extra: map[string]int64{"lines": 100000}}
	tests := []struct {
		name   string
		t      target
		value  float64
		status string
		actual string
	}{
		{"relative pass", atLeast(0.6, "raw"), 600, "PASS", "60%"},
		{"relative miss", atLeast(0.6, "raw"), 599, "MISS", "60%"},
		{"multiple pass", atLeast(3, "wm"), 700, "PASS", "3.50x"},
		{"other case absent", atLeast(3, "nope"), 700, "n/a", ""},
		{"bound pass", below(25, "ms"), 24.9, "PASS", ""},
		{"bound miss", below(25, "ms"), 25, "MISS", ""},
		{"per thousand", fewerPerThousand("lines", 90000), 0, "PASS", "50,000, 56%"},
	}
	for _, tt := range tests {
		v := tt.t.check(tt.value, last, medians)
		if v.Status != tt.status || v.Actual != tt.actual {
			t.Errorf("%s: got %s (%s), want %s (%s)", tt.name, v.Status, v.Actual, tt.status, tt.actual)
		}
	}
}

func TestThousands(t *testing.T) {
	for in, want := range map[float64]string{0: "0", 999: "999", 1000: "1,000", 1234567.6: "1,234,568", -25000: "-25,000"} {
		if got := thousands(in); got != want {
			t.Errorf("thousands(%v) = %q, want %q", in, got, want)
		}
	}
}

// The -payload flag sets the body size; the latency cases read the send
// time back from it.
func TestEmailChangedBody(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC)
	for _, size := range []int{1, 200, 1000} {
		b := newEmailChanged(42, size, at).body()
		if size > 150 && len(b) != size {
			t.Errorf("payload %d: body is %d bytes", size, len(b))
		}
		got, err := sentAt(b)
		if err != nil || !got.Equal(at) {
			t.Errorf("payload %d: sent at %v, %v; want %v", size, got, err, at)
		}
	}
}

func TestPercentiles(t *testing.T) {
	r := &recorder{}
	for i := 100; i >= 1; i-- {
		r.add(time.Duration(i) * time.Millisecond)
	}
	p50, p99, err := r.percentiles()
	if err != nil || p50 != 50*time.Millisecond || p99 != 99*time.Millisecond {
		t.Errorf("percentiles of 1..100 ms = %v, %v, %v; want 50ms, 99ms", p50, p99, err)
	}
	if _, _, err := (&recorder{}).percentiles(); err == nil {
		t.Error("percentiles of no samples: want an error")
	}
}
