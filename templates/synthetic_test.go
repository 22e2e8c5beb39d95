package templates

import (
	"fmt"
	"strings"
	"testing"

	"github.com/evgenhq/evgen/schema"
)

// syntheticSet loads the generator benchmark's contract set in memory:
// services services owning events events between them. It mirrors
// contractSet in bench/ (package main, so not importable), which times
// the same work from the command line.
func syntheticSet(tb testing.TB, services, events int) *schema.Set {
	tb.Helper()
	srcs := make([]schema.Source, 0, services)
	for s := range services {
		srcs = append(srcs, schema.Source{
			Name: fmt.Sprintf("svc%02d.yaml", s+1),
			Data: []byte(syntheticContract(s, ownedEvents(s, services, events), services, events)),
		})
	}
	set, err := schema.LoadSources(srcs...)
	if err != nil {
		tb.Fatalf("the synthetic contract set is invalid: %v", err)
	}
	return set
}

// ownedEvents is how many of events service s owns when they are spread
// evenly over services.
func ownedEvents(s, services, events int) int {
	owned := events / services
	if s < events%services {
		owned++
	}
	return owned
}

// syntheticContract is the YAML of service s (0-based), which owns owned
// events: each with a key and eight fields of the common kinds, two of
// them named types, and two events consumed from each of the next five
// services.
func syntheticContract(s, owned, services, events int) string {
	name := fmt.Sprintf("svc%02d", s+1)
	prefix := fmt.Sprintf("Svc%02d", s+1)
	var b strings.Builder
	fmt.Fprintf(&b, "evgen: 1\nservice: %s\ngo_package: example.com/bench/%s/%sevents\n", name, name, name)
	fmt.Fprintf(&b, "doc: Synthetic service %d of %d for the generator benchmark.\n\ntypes:\n", s+1, services)
	fmt.Fprintf(&b, "  %sStatus:\n    enum: [active, suspended, closed]\n", prefix)
	fmt.Fprintf(&b, "  %sAddress:\n    fields:\n      street: string\n      city: string\n      country: {type: string, doc: ISO 3166-1 alpha-2}\n", prefix)
	b.WriteString("\nevents:\n")
	for i := range owned {
		fmt.Fprintf(&b, "  %s:\n", syntheticEvent(s, i))
		fmt.Fprintf(&b, "    doc: Event %d of service %s.\n    key: id\n    fields:\n", i+1, name)
		b.WriteString("      id: uuid\n      name: string\n      amount: decimal\n      count: int64\n")
		fmt.Fprintf(&b, "      status: %sStatus\n      address: {type: %sAddress, optional: true}\n", prefix, prefix)
		b.WriteString("      tags: list<string>\n      changed_at: timestamp\n")
	}
	if services > 1 {
		b.WriteString("\nconsumes:\n")
		for k := 1; k <= min(5, services-1); k++ {
			p := (s + k) % services
			pOwned := ownedEvents(p, services, events)
			first, second := (s+k)%pOwned, (s+k+1)%pOwned
			if first == second { // a producer that owns one event
				fmt.Fprintf(&b, "  svc%02d: [%s]\n", p+1, syntheticEvent(p, first))
				continue
			}
			fmt.Fprintf(&b, "  svc%02d: [%s, %s]\n", p+1, syntheticEvent(p, first), syntheticEvent(p, second))
		}
	}
	return b.String()
}

func syntheticEvent(s, i int) string { return fmt.Sprintf("Svc%02dItem%03dChanged", s+1, i+1) }

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
