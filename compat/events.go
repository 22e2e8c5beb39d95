package compat

import (
	"fmt"
	"slices"
	"strings"

	"github.com/evgenhq/evgen/schema"
)

// event compares an event with what became of it, version by version:
// each version is an event of its own on the wire, bound and handled apart
// from the others, so a version is compared only with the same version,
// and a newest version that moved is reported as such.
func (c *comparison) event(o, n *schema.Event) {
	for _, ov := range o.Versions() {
		if nv := atVersion(n, ov.Version); nv != nil {
			c.sameVersion(ov, nv)
		}
	}
	if o.Version != n.Version {
		c.version(o, n)
	} else {
		c.olderRemoved(o, n)
	}
}

// sameVersion compares one version of an event kept in both sets.
func (c *comparison) sameVersion(o, n *schema.Event) {
	live, replay := c.old.consumers[o], c.new.consumers[n]
	c.key(o, n, live, replay)
	c.fields(fieldScope{
		what: "event " + versionLabel(n), pos: n.Pos,
		live: live, replay: replay, code: replay,
		goType: n.Name,
	}, o.Fields, n.Fields)
}

// version reports a newest version that moved, either way: the deployed
// consumers of each earlier version no longer published are cut off, and
// the consumers of a version the earlier producer did not publish find
// none of it in the log.
func (c *comparison) version(o, n *schema.Event) {
	rule, verb := VersionRaised, "raised"
	if n.Version < o.Version {
		rule, verb = VersionLowered, "lowered"
	}
	dropped := missingVersions(o, n)
	var live, replay []string
	for _, ov := range dropped {
		live = append(live, c.old.consumers[ov]...)
	}
	if atVersion(o, n.Version) == nil {
		replay = c.new.consumers[n]
	}
	c.add(rule, n.Pos, fmt.Sprintf("event %s: version %s from %d to %d", n.Type, verb, o.Version, n.Version),
		effect(Live, sortedUnique(live), fmt.Sprintf("their deployed consumers are bound to %s; the producer now publishes %s", versionList(dropped), versionList(n.Versions()))),
		effect(Replay, replay, fmt.Sprintf("their handlers of v%d skip the v%d events in the log", n.Version, o.Version)))
}

// key reports an event's key naming another field, or none. A key given
// where there was none changes nothing a consumer relied on.
func (c *comparison) key(o, n *schema.Event, live, replay []string) {
	if o.Key == nil || n.Key != nil && n.Key.Name == o.Key.Name {
		return
	}
	msg, now := fmt.Sprintf("event %s: key changed from %s to none", n.Type, o.Key.Name), "no key"
	if n.Key != nil {
		msg, now = fmt.Sprintf("event %s: key changed from %s to %s", n.Type, o.Key.Name, n.Key.Name), n.Key.Name
	}
	c.add(KeyChanged, n.Pos, msg,
		effect(Live, live, fmt.Sprintf("Meta.Subject of each new event holds %s where they expect %s", now, o.Key.Name)),
		effect(Replay, replay, fmt.Sprintf("Meta.Subject of each event in the log holds %s where they expect %s", o.Key.Name, now)))
}

// eventRemoved reports e gone from its producer. Consumers that still
// consume it have a CONSUMED_EVENT_UNDECLARED finding of their own.
func (c *comparison) eventRemoved(e *schema.Event, pos schema.Pos, msg, hint string) {
	var live []string
	for _, s := range c.old.consumersOf(e) {
		if !slices.Contains(c.dangling(e), s) {
			live = append(live, s)
		}
	}
	if len(live) == 0 && len(c.old.consumersOf(e)) > 0 {
		return
	}
	c.add(EventRemoved, pos, msg+hint, effect(Live, live,
		fmt.Sprintf("their deployed consumers stay bound to %s v%d, which nothing publishes any more", e.Type, e.Version)))
}

// renamedTo hints at a rename when the later service has a new event with
// the same fields as the removed one.
func renamedTo(e *schema.Event, p svcPair) string {
	for _, n := range p.new.Events {
		if eventNamed(p.old, n.Name) == nil && signature(n.Fields) == signature(e.Fields) {
			return fmt.Sprintf("; %s has the same fields: a rename is a removal to consumers", n.Name)
		}
	}
	return ""
}

// signature is the fields' names, types and optionality, in order.
func signature(fields []*schema.Field) string {
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = fmt.Sprintf("%s %s %t", f.Name, f.Type, f.Optional)
	}
	return strings.Join(parts, ", ")
}
