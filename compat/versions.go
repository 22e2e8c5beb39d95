package compat

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/evgenhq/evgen/schema"
)

// olderRemoved reports each older version of o that n, at the same newest
// version, no longer publishes; it breaks the deployed consumers bound to
// it, and is a note when none are.
func (c *comparison) olderRemoved(o, n *schema.Event) {
	for _, ov := range missingVersions(o, n) {
		c.add(VersionRemoved, n.Pos, fmt.Sprintf("event %s: older version %d removed (was %s)", n.Type, ov.Version, ov.Pos),
			effect(Live, c.old.consumers[ov], fmt.Sprintf("their deployed consumers stay bound to v%d, which nothing publishes any more; move them to v%d and deploy them first", ov.Version, n.Version)))
	}
}

// unconsumedOlder notes each older version of e that no service of the
// set consumes any more: the producer can stop publishing it.
func (c *comparison) unconsumedOlder(e *schema.Event) {
	for _, old := range e.Older {
		if len(c.new.consumers[old]) == 0 {
			c.add(VersionUnconsumed, old.Pos, fmt.Sprintf("event %s v%d has no consumer left in the set; remove it from older_versions once the consumers that moved to v%d are deployed", e.Type, old.Version, e.Version))
		}
	}
}

// atVersion is e at version v, the newest or an older one; nil when e's
// producer does not publish v.
func atVersion(e *schema.Event, v int) *schema.Event {
	for _, at := range e.Versions() {
		if at.Version == v {
			return at
		}
	}
	return nil
}

// missingVersions are the versions of o that n does not publish, newest
// first.
func missingVersions(o, n *schema.Event) []*schema.Event {
	var out []*schema.Event
	for _, ov := range o.Versions() {
		if atVersion(n, ov.Version) == nil {
			out = append(out, ov)
		}
	}
	return out
}

// versionList writes versions as messages do: "v2", "v2 and v1".
func versionList(vs []*schema.Event) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = "v" + strconv.Itoa(v.Version)
	}
	if len(parts) < 2 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// versionLabel names an event in messages, with its version when it is an
// older one: "users.UserEmailChanged", "users.UserEmailChanged v1".
func versionLabel(e *schema.Event) string {
	if e.Latest == nil {
		return e.Type
	}
	return e.Type + " v" + strconv.Itoa(e.Version)
}
