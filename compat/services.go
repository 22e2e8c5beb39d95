package compat

import (
	"fmt"
	"slices"
	"strings"

	"github.com/evgenhq/evgen/schema"
)

// services compares one service of the earlier set with what became of it.
func (c *comparison) services(p svcPair) {
	if p.new == nil {
		for _, e := range p.old.Events {
			c.eventRemoved(e, e.Pos, fmt.Sprintf("event %s removed: the contract of service %s is gone", e.Type, e.Service.Name), "")
		}
		return
	}
	if p.old.Name != p.new.Name {
		c.serviceRenamed(p)
	}
	c.goPackage(p)
	for _, e := range p.old.Events {
		n := eventNamed(p.new, e.Name)
		if n == nil {
			c.eventRemoved(e, p.new.Pos, fmt.Sprintf("event %s removed (was %s)", e.Type, e.Pos), renamedTo(e, p))
			continue
		}
		c.event(e, n)
	}
	for _, t := range p.old.Types {
		if n := typeNamed(p.new, t.Name); n != nil {
			c.namedType(t, n)
		}
	}
}

// eventRemoved reports e gone from its producer. Consumers that still
// consume it have a CONSUMED_EVENT_UNDECLARED finding of their own.
func (c *comparison) eventRemoved(e *schema.Event, pos schema.Pos, msg, hint string) {
	var live []string
	for _, s := range c.old.consumers[e] {
		if !slices.Contains(c.dangling(e), s) {
			live = append(live, s)
		}
	}
	if len(live) == 0 && len(c.old.consumers[e]) > 0 {
		return
	}
	c.add(EventRemoved, pos, msg+hint, effect(Live, live,
		fmt.Sprintf("their deployed consumers stay bound to %s v%d, which nothing publishes any more", e.Type, e.Version)))
}

// dangling lists the later set's services that still consume the earlier
// event e although it is gone, under its producer's earlier or later name.
func (c *comparison) dangling(e *schema.Event) []string {
	out := c.new.dangling[e.Service.Name+"."+e.Name]
	if n := c.later(e.Service); n != nil && n.Name != e.Service.Name {
		out = append(slices.Clone(out), c.new.dangling[n.Name+"."+e.Name]...)
	}
	return out
}

// later is what the earlier service s became, or nil when it is gone.
func (c *comparison) later(s *schema.Service) *schema.Service {
	for _, p := range c.pairs {
		if p.old == s {
			return p.new
		}
	}
	return nil
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

func (c *comparison) serviceRenamed(p svcPair) {
	var live, replay []string
	for _, e := range p.old.Events {
		live = append(live, c.old.consumers[e]...)
	}
	for _, e := range p.new.Events {
		replay = append(replay, c.new.consumers[e]...)
	}
	c.add(ServiceRenamed, p.new.Pos, fmt.Sprintf("service %s renamed to %s: its events' types change from %s.* to %s.*", p.old.Name, p.new.Name, p.old.Name, p.new.Name),
		effect(Live, sortedUnique(live), fmt.Sprintf("their deployed consumers bind %s.* events, which nothing publishes any more", p.old.Name)),
		effect(Replay, sortedUnique(replay), fmt.Sprintf("the log holds %s.* events, which their handlers of %s.* skip", p.old.Name, p.new.Name)))
}

// goPackage reports a change of the generated package's import path, or
// of its name; a path given where there was none is not one, as the
// earlier path was wherever -out put the package.
func (c *comparison) goPackage(p svcPair) {
	o, n := p.old.Package, p.new.Package
	var msg string
	switch {
	case o.ImportPath != "" && o.ImportPath != n.ImportPath:
		msg = fmt.Sprintf("go_package changed from %s to %s", o.ImportPath, orNone(n.ImportPath))
	case o.Name != n.Name:
		msg = fmt.Sprintf("the generated package's name changed from %s to %s", o.Name, n.Name)
	default:
		return
	}
	c.add(GoPackageChanged, p.new.Pos, msg, effect(Code, []string{p.new.Name},
		"every import of the generated package, in the service and outside the set, must change"))
}

// unresolved reports the later set's consumes entries whose producer no
// longer declares the event; any other unresolved entry is an error.
func (c *comparison) unresolved(new *schema.Set) error {
	var errs schema.Errors
	for _, s := range new.Services {
		for _, u := range s.Unresolved {
			e := c.earlierEvent(u)
			if e == nil {
				errs = append(errs, &schema.Error{Pos: u.Pos, Msg: fmt.Sprintf("service %s consumes %s.%s, which neither this set nor the earlier one declares", s.Name, u.Producer, u.Event)})
				continue
			}
			c.add(ConsumedEventUndeclared, u.Pos, fmt.Sprintf("%s consumes %s, which %s", s.Name, e.Type, c.noLonger(u, e)),
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
	}
	return fmt.Sprintf("%s no longer declares (was %s)", n.Name, e.Pos)
}

// earlierEvent is the event an unresolved entry names in the earlier set,
// under its producer's earlier name or, for a renamed one, its later name.
func (c *comparison) earlierEvent(u *schema.Unresolved) *schema.Event {
	for _, p := range c.pairs {
		if p.old.Name == u.Producer || p.new != nil && p.new.Name == u.Producer {
			return eventNamed(p.old, u.Event)
		}
	}
	return nil
}

func eventNamed(s *schema.Service, name string) *schema.Event {
	for _, e := range s.Events {
		if e.Name == name {
			return e
		}
	}
	return nil
}

func typeNamed(s *schema.Service, name string) *schema.NamedType {
	for _, t := range s.Types {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// sortedUnique sorts names and drops repeats.
func sortedUnique(names []string) []string {
	slices.Sort(names)
	return slices.Compact(names)
}

func orNone(path string) string {
	if path == "" {
		return "none"
	}
	return path
}
