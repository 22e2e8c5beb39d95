// Package synthetic builds the contract set that the generator is
// benchmarked on, so that the bench command and the templates' Go
// benchmark measure the same input.
package synthetic

import (
	"fmt"
	"strings"
)

// Contracts returns the YAML of services services owning events events
// between them (spread evenly), each service consuming two events from
// each of the next five services; the i-th file is service i's contract.
// Every event has a key and eight fields of the common kinds, two of them
// named types, so the generator meets every construct a real set uses.
// Names carry the service number, so that events and types carried into a
// consumer from several producers never clash.
func Contracts(services, events int) [][]byte {
	files := make([][]byte, services)
	for s := range services {
		files[s] = []byte(contract(s, services, events))
	}
	return files
}

// FileName is the file name of service s's contract.
func FileName(s int) string { return serviceName(s) + ".yaml" }

// owned is how many events service s owns.
func owned(s, services, events int) int {
	n := events / services
	if s < events%services {
		n++
	}
	return n
}

// contract is the YAML of service s (0-based).
func contract(s, services, events int) string {
	name := serviceName(s)
	prefix := typePrefix(s)
	var b strings.Builder
	fmt.Fprintf(&b, "evgen: 1\nservice: %s\ngo_package: example.com/bench/%s/%sevents\n", name, name, name)
	fmt.Fprintf(&b, "doc: Synthetic service %d of %d for the generator benchmark.\n\ntypes:\n", s+1, services)
	fmt.Fprintf(&b, "  %sStatus:\n    enum: [active, suspended, closed]\n", prefix)
	fmt.Fprintf(&b, "  %sAddress:\n    fields:\n      street: string\n      city: string\n      country: {type: string, doc: ISO 3166-1 alpha-2}\n", prefix)
	b.WriteString("\nevents:\n")
	for i := range owned(s, services, events) {
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
			pOwned := owned(p, services, events)
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
