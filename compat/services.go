package compat

import (
	"fmt"
	"slices"

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
	for _, e := range p.new.Events {
		c.unconsumedOlder(e)
	}
	for _, t := range p.old.Types {
		if n := typeNamed(p.new, t.Name); n != nil {
			c.namedType(t, n)
		}
	}
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

func (c *comparison) serviceRenamed(p svcPair) {
	var live, replay []string
	for _, e := range p.old.Events {
		live = append(live, c.old.consumersOf(e)...)
	}
	for _, e := range p.new.Events {
		replay = append(replay, c.new.consumersOf(e)...)
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
