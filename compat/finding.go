package compat

import (
	"cmp"
	"slices"
	"strings"

	"github.com/evgenhq/evgen/schema"
)

// Mode is how a change breaks a service.
type Mode string

// The ways a change breaks a service, in the order findings list them.
const (
	// Live: a consumer generated from the earlier contract, still
	// deployed, reads the events the changed producer now sends.
	Live Mode = "live"
	// Replay: a consumer generated from the later contract reads events
	// the producer wrote before the change, still in the event log.
	Replay Mode = "replay"
	// Code: Go code over the generated package no longer compiles once
	// the package is generated again.
	Code Mode = "code"
)

// Effect is one way a finding breaks some services.
type Effect struct {
	Mode     Mode     `json:"mode"`
	Services []string `json:"services"` // sorted
	Why      string   `json:"why"`      // what goes wrong for them
}

// Finding is one change between the two sets that a rule reports.
type Finding struct {
	Rule    string     // a Rules name, such as FIELD_REMOVED
	Pos     schema.Pos // in the later contract; in the earlier one only when the file is gone
	Msg     string     // what changed
	Effects []Effect   // empty for a note
	Allowed bool       // accepted with Allow
}

// Breaking reports whether the change breaks a service of the set; a
// finding that does not is a note.
func (f *Finding) Breaking() bool { return len(f.Effects) > 0 }

// String formats the finding as `evgen breaking` prints it:
// path:line:col: RULE: [note: |allowed: ]message; mode: services (why); ...
func (f *Finding) String() string {
	var b strings.Builder
	b.WriteString(f.Pos.String() + ": " + f.Rule + ": ")
	switch {
	case !f.Breaking():
		b.WriteString("note: ")
	case f.Allowed:
		b.WriteString("allowed: ")
	}
	b.WriteString(f.Msg)
	if !f.Breaking() {
		b.WriteString("; no service in the set is affected")
	}
	for _, e := range f.Effects {
		b.WriteString("; " + string(e.Mode) + ": " + strings.Join(e.Services, ", ") + " (" + e.Why + ")")
	}
	return b.String()
}

// effect is an Effect on services, or nothing when there are none.
func effect(mode Mode, services []string, why string) []Effect {
	if len(services) == 0 {
		return nil
	}
	return []Effect{{Mode: mode, Services: services, Why: why}}
}

// sortFindings orders findings by file, position, rule and message.
func sortFindings(fs []*Finding) {
	slices.SortStableFunc(fs, func(a, b *Finding) int {
		return cmp.Or(
			strings.Compare(a.Pos.File, b.Pos.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Col, b.Pos.Col),
			strings.Compare(a.Rule, b.Rule),
			strings.Compare(a.Msg, b.Msg),
		)
	})
}
