// Package compat compares two resolved contract sets, an earlier one and
// a later one, and reports each change that breaks a service of the set:
// the rules behind `evgen breaking`.
//
// It sits beside templates, not inside schema: both read the model that
// schema resolves, and neither loads anything. Compare is pure; the
// command reads the earlier set (from a directory or a git revision),
// formats the findings and chooses the exit status.
//
// Each Finding names its rule, the position of the change in the later
// contract, and its Effects: which consumers break, and how (Live, Replay
// or Code). A finding without effects is a note: the change is real, but
// no service of the set is hurt by it. docs/evolution.md explains every
// rule and its fix.
package compat
