package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/evgenhq/evgen/runtime/recovery"
	"github.com/evgenhq/evgen/schema"
)

// listLine is one dead letter on one line.
func listLine(l recovery.DeadLetter, set *schema.Set) string {
	line := fmt.Sprintf("%s  %s  %s v%d  key=%s  attempts=%d  reason=%q",
		l.ID, l.At.UTC().Format(time.RFC3339), l.Type, l.Version, l.Subject, l.Attempts, oneLine(l.Reason, 80))
	if fields := decode(l, set); len(fields) > 0 {
		line += "  " + strings.Join(fields, " ")
	}
	return line
}

// showLetter prints one dead letter in full.
func showLetter(w io.Writer, l recovery.DeadLetter, set *schema.Set) {
	fmt.Fprintf(w, "id:           %s\ntype:         %s v%d\nkey:          %s\n", l.ID, l.Type, l.Version, l.Subject)
	fmt.Fprintf(w, "dead-lettered %s after %d attempts (redriven %d times before)\n", l.At.UTC().Format(time.RFC3339Nano), l.Attempts, l.Redrives)
	fmt.Fprintf(w, "routing:      exchange %q, key %q\nreason:       %s\n", l.Exchange, l.RoutingKey, l.Reason)
	fmt.Fprintln(w, "headers:")
	for _, k := range slices.Sorted(maps.Keys(l.Headers)) {
		fmt.Fprintf(w, "  %s: %s\n", k, l.Headers[k])
	}
	if fields := decode(l, set); len(fields) > 0 {
		fmt.Fprintln(w, "fields:")
		for _, f := range fields {
			fmt.Fprintf(w, "  %s\n", f)
		}
	}
	fmt.Fprintln(w, "payload:")
	var pretty bytes.Buffer
	if json.Indent(&pretty, l.Body, "  ", "  ") == nil {
		fmt.Fprintf(w, "  %s\n", pretty.String())
	} else {
		fmt.Fprintf(w, "  %q\n", l.Body)
	}
}

// decode shows the payload's fields in contract order, name=value, and
// what does not match the contract; nil without contracts.
func decode(l recovery.DeadLetter, set *schema.Set) []string {
	if set == nil {
		return nil
	}
	ev := findEvent(set, l.Type, l.Version)
	if ev == nil {
		return []string{fmt.Sprintf("(no %s v%d in the contracts)", l.Type, l.Version)}
	}
	var payload map[string]json.RawMessage
	if err := json.Unmarshal(l.Body, &payload); err != nil {
		return []string{fmt.Sprintf("(payload is not a JSON object: %v)", err)}
	}
	var out []string
	for _, f := range ev.Fields {
		v, ok := payload[f.Name]
		delete(payload, f.Name)
		switch {
		case ok:
			out = append(out, f.Name+"="+string(v))
		case !f.Optional:
			out = append(out, f.Name+"=(missing, required)")
		}
	}
	for _, k := range slices.Sorted(maps.Keys(payload)) {
		out = append(out, k+"="+string(payload[k])+"(not in contract)")
	}
	return out
}

func findEvent(set *schema.Set, typ string, version int) *schema.Event {
	for _, s := range set.Services {
		for _, e := range s.Events {
			if e.Type == typ && e.Version == version {
				return e
			}
		}
	}
	return nil
}

// oneLine shortens s to n runes on one line.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
