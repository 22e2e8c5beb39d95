package synthetic

import (
	"strings"
	"testing"
)

// TestContractsSpreadEvents checks the shape the generator benchmark
// relies on: one file per service, every event owned once, consumes lines
// naming other services only.
func TestContractsSpreadEvents(t *testing.T) {
	for _, tc := range []struct{ services, events int }{{20, 1000}, {3, 30}, {7, 13}, {1, 1}} {
		files := Contracts(tc.services, tc.events)
		if len(files) != tc.services {
			t.Fatalf("%+v: %d files, want %d", tc, len(files), tc.services)
		}
		total := 0
		for s, f := range files {
			src := string(f)
			total += strings.Count(src, "    key: id\n")
			if !strings.Contains(src, "service: "+serviceName(s)+"\n") {
				t.Errorf("%+v: file %d does not declare service %s", tc, s, serviceName(s))
			}
			if strings.Contains(src, "  "+serviceName(s)+": [") {
				t.Errorf("%+v: service %s consumes from itself", tc, serviceName(s))
			}
		}
		if total != tc.events {
			t.Errorf("%+v: %d events owned in all, want %d", tc, total, tc.events)
		}
	}
}
