package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// contractSet writes a synthetic contract set for the generator case:
// services services owning events events between them (spread evenly),
// each service consuming two events from each of the next five services.
// Every event has a key and eight fields of the common kinds, two of them
// named types, so the generator meets every construct a real set uses.
// Names carry the service number, so that events and types carried into a
// consumer from several producers never clash.
func contractSet(dir string, services, events int) ([]string, error) {
	var paths []string
	for s := range services {
		owned := events / services
		if s < events%services {
			owned++
		}
		p := filepath.Join(dir, fmt.Sprintf("svc%02d.yaml", s+1))
		if err := os.WriteFile(p, []byte(contractFile(s, owned, services, events)), 0o644); err != nil {
			return nil, fmt.Errorf("write contract %s: %w", p, err)
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// contractFile is the YAML of service s (0-based), which owns owned events.
func contractFile(s, owned, services, events int) string {
	name := serviceName(s)
	prefix := typePrefix(s)
	var b strings.Builder
	fmt.Fprintf(&b, "evgen: 1\nservice: %s\ngo_package: example.com/bench/%s/%sevents\n", name, name, name)
	fmt.Fprintf(&b, "doc: Synthetic service %d of %d for the generator benchmark.\n\ntypes:\n", s+1, services)
	fmt.Fprintf(&b, "  %sStatus:\n    enum: [active, suspended, closed]\n", prefix)
	fmt.Fprintf(&b, "  %sAddress:\n    fields:\n      street: string\n      city: string\n      country: {type: string, doc: ISO 3166-1 alpha-2}\n", prefix)
	b.WriteString("\nevents:\n")
	for i := range owned {
		fmt.Fprintf(&b, "  %s:\n", eventName(s, i))
		fmt.Fprintf(&b, "    doc: Event %d of service %s.\n    key: id\n    fields:\n", i+1, name)
		b.WriteString("      id: uuid\n      name: string\n      amount: decimal\n      count: int64\n")
		fmt.Fprintf(&b, "      status: %sStatus\n      address: {type: %sAddress, optional: true}\n", prefix, prefix)
		b.WriteString("      tags: list<string>\n      changed_at: timestamp\n")
	}
	if services > 1 {
		b.WriteString("\nconsumes:\n")
		for k := 1; k <= min(5, services-1); k++ {
			p := (s + k) % services
			pOwned := events / services
			if p < events%services {
				pOwned++
			}
			first, second := (s+k)%pOwned, (s+k+1)%pOwned
			if first == second { // a producer that owns one event
				fmt.Fprintf(&b, "  %s: [%s]\n", serviceName(p), eventName(p, first))
				continue
			}
			fmt.Fprintf(&b, "  %s: [%s, %s]\n", serviceName(p), eventName(p, first), eventName(p, second))
		}
	}
	return b.String()
}

func serviceName(s int) string { return fmt.Sprintf("svc%02d", s+1) }

func typePrefix(s int) string { return fmt.Sprintf("Svc%02d", s+1) }

func eventName(s, i int) string { return fmt.Sprintf("%sItem%03dChanged", typePrefix(s), i+1) }
