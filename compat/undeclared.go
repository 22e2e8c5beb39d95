package compat

import (
	"fmt"
	"slices"

	"github.com/evgenhq/evgen/schema"
)

// dangling lists the later set's services that still consume the earlier
// event e although it is gone, under its producer's earlier or later name.
func (c *comparison) dangling(e *schema.Event) []string {
	out := c.new.dangling[e.Service.Name+"."+e.Name]
	if n := c.later(e.Service); n != nil && n.Name != e.Service.Name {
		out = append(slices.Clone(out), c.new.dangling[n.Name+"."+e.Name]...)
	}
	return out
}

// unresolved reports the later set's consumes entries whose producer no
// longer declares the event; any other unresolved entry is an error.
func (c *comparison) unresolved(new *schema.Set) error {
	var errs schema.Errors
	for _, s := range new.Services {
		for _, u := range s.Unresolved {
			e := c.earlierEvent(u)
			if e == nil {
				errs = append(errs, &schema.Error{Pos: u.Pos, Msg: fmt.Sprintf("service %s consumes %s, which neither this set nor the earlier one declares", s.Name, unresolvedLabel(u))})
				continue
			}
			c.add(ConsumedEventUndeclared, u.Pos, fmt.Sprintf("%s consumes %s, which %s", s.Name, unresolvedLabel(u), c.noLonger(u, e)),
				effect(Live, []string{s.Name}, fmt.Sprintf("its deployed consumers stay bound to %s v%d, which nothing publishes any more", e.Type, e.Version)),
				effect(Code, []string{s.Name}, "evgen generate rejects its contract until the entry goes"))
		}
	}
	if len(errs) > 0 {
		return &errs
	}
	return nil
}

// noLonger says why e is gone: its producer left the set, was renamed,
// or dropped it.
func (c *comparison) noLonger(u *schema.Unresolved, e *schema.Event) string {
	n := c.later(e.Service)
	switch {
	case n == nil:
		return fmt.Sprintf("no longer exists: service %s is not in the set any more", e.Service.Name)
	case n.Name != u.Producer && eventNamed(n, e.Name) != nil:
		return fmt.Sprintf("is now %s.%s: service %s was renamed to %s", n.Name, e.Name, e.Service.Name, n.Name)
	case u.Version > 0 && eventNamed(n, e.Name) != nil:
		return fmt.Sprintf("%s no longer publishes at that version (was %s); it publishes %s", n.Name, e.Pos, versionList(eventNamed(n, e.Name).Versions()))
	}
	return fmt.Sprintf("%s no longer declares (was %s)", n.Name, e.Pos)
}

// earlierEvent is the event an unresolved entry names in the earlier set,
// under its producer's earlier name or, for a renamed one, its later name,
// at the version the entry names, if any.
func (c *comparison) earlierEvent(u *schema.Unresolved) *schema.Event {
	for _, p := range c.pairs {
		if p.old.Name == u.Producer || p.new != nil && p.new.Name == u.Producer {
			e := eventNamed(p.old, u.Event)
			if e != nil && u.Version > 0 {
				e = atVersion(e, u.Version)
			}
			return e
		}
	}
	return nil
}

// unresolvedLabel names the event an unresolved entry names, with the
// version it names, if any.
func unresolvedLabel(u *schema.Unresolved) string {
	if u.Version > 0 {
		return fmt.Sprintf("%s.%s v%d", u.Producer, u.Event, u.Version)
	}
	return u.Producer + "." + u.Event
}
