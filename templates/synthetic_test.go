package templates

import (
	"testing"

	"github.com/evgenhq/evgen/internal/synthetic"
	"github.com/evgenhq/evgen/schema"
)

// syntheticSet loads the generator benchmark's contract set
// (internal/synthetic) in memory: services services owning events events
// between them, as bench's generate case times it from the command line.
func syntheticSet(tb testing.TB, services, events int) *schema.Set {
	tb.Helper()
	var srcs []schema.Source
	for s, data := range synthetic.Contracts(services, events) {
		srcs = append(srcs, schema.Source{Name: synthetic.FileName(s), Data: data})
	}
	set, err := schema.LoadSources(srcs...)
	if err != nil {
		tb.Fatalf("the synthetic contract set is invalid: %v", err)
	}
	return set
}

// BenchmarkGenerateSynthetic generates every service of the benchmark's
// 20-service, 1,000-event set: the generate half of bench's generate case
// (the loading is not timed here).
func BenchmarkGenerateSynthetic(b *testing.B) {
	set := syntheticSet(b, 20, 1000)
	b.ReportAllocs()
	for b.Loop() {
		for _, s := range set.Services {
			if _, err := Generate(set, s.Name, Options{}); err != nil {
				b.Fatal(err)
			}
		}
	}
}
