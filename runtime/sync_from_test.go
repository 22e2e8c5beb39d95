package runtime_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
)

func TestParseSyncFrom(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{in: "start", want: "start"},
		{in: "first", want: "start"},
		{in: "0", want: "0"},
		{in: "1234", want: "1234"},
		{in: "2026-01-02T15:04:05Z", want: "2026-01-02T15:04:05Z"},
		{in: "2026-01-02T16:04:05+01:00", want: "2026-01-02T15:04:05Z"},
		{in: "-3", err: "want \"start\""},
		{in: "yesterday", err: "want \"start\""},
		{in: "", err: "want \"start\""},
	} {
		got, err := runtime.ParseSyncFrom(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseSyncFrom(%q) = %v, %v; want error containing %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got.String() != tc.want {
			t.Errorf("ParseSyncFrom(%q) = %v, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	ago, err := runtime.ParseSyncFrom("90m")
	if err != nil {
		t.Fatal(err)
	}
	at, _ := time.Parse(time.RFC3339, ago.String())
	if d := time.Since(at); d < 89*time.Minute || d > 91*time.Minute {
		t.Errorf("90m parsed as %v, %v ago", ago, d)
	}
}

func TestSyncProgressEstimate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		p     runtime.SyncProgress
		total int64
		left  time.Duration
		bar   string
	}{
		{"unknown tail", runtime.SyncProgress{Producer: "users", First: 0, Tail: -1, Read: 10, Rate: 5}, -1, -1, "[------------------------------] 10 read"},
		{"half way", runtime.SyncProgress{Producer: "users", First: 100, Tail: 299, Read: 100, Rate: 50}, 200, 2 * time.Second, "[###############---------------] 100/200 (50%)"},
		{"done", runtime.SyncProgress{Producer: "users", First: 0, Tail: 9, Read: 10, Rate: 50, Done: true}, 10, 0, "[##############################] 10/10 (100%)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.Total(); got != tc.total {
				t.Errorf("Total = %d, want %d", got, tc.total)
			}
			if got := tc.p.Left(); got != tc.left {
				t.Errorf("Left = %v, want %v", got, tc.left)
			}
			var b bytes.Buffer
			service.ProgressBar(&b)(tc.p)
			if !strings.Contains(b.String(), tc.bar) {
				t.Errorf("bar %q does not contain %q", b.String(), tc.bar)
			}
		})
	}
}
