package compat

import (
	"path/filepath"
	"slices"

	"github.com/evgenhq/evgen/schema"
)

// Compare reports every change from the earlier set old to the later set
// new that a rule covers, sorted by position. old may be an empty Set (no
// contracts before); new may have been loaded with
// schema.LoadOptions.KeepUnresolved, and each unresolved consumes entry
// whose event the earlier set declared is a CONSUMED_EVENT_UNDECLARED
// finding. An unresolved entry no rule explains (a typo, an event that
// never existed) is returned as *schema.Errors: new is an invalid set.
func Compare(old, new *schema.Set) ([]*Finding, error) {
	c := &comparison{old: index(old), new: index(new), pairs: pairServices(old, new)}
	for _, p := range c.pairs {
		c.services(p)
	}
	if err := c.unresolved(new); err != nil {
		return nil, err
	}
	sortFindings(c.findings)
	return c.findings, nil
}

// comparison collects the findings of one Compare.
type comparison struct {
	old, new *setIndex
	pairs    []svcPair
	findings []*Finding
}

func (c *comparison) add(rule string, pos schema.Pos, msg string, effects ...[]Effect) {
	c.findings = append(c.findings, &Finding{Rule: rule, Pos: pos, Msg: msg, Effects: slices.Concat(effects...)})
}

// svcPair is a service in both sets, or only in the earlier one (new nil).
type svcPair struct {
	old, new *schema.Service
}

// pairServices matches the earlier set's services with the later one's:
// by name, else by file name, which is how a rename shows (the file keeps
// its name and says another `service:`).
func pairServices(old, new *schema.Set) []svcPair {
	byName := map[string]*schema.Service{}
	for _, s := range new.Services {
		byName[s.Name] = s
	}
	var gone []*schema.Service
	var pairs []svcPair
	for _, s := range old.Services {
		if n, ok := byName[s.Name]; ok {
			pairs = append(pairs, svcPair{s, n})
			delete(byName, s.Name)
			continue
		}
		gone = append(gone, s)
	}
	for _, s := range gone {
		p := svcPair{old: s}
		for name, n := range byName {
			if filepath.Base(n.File) == filepath.Base(s.File) && !declares(old, name) {
				p.new = n
				delete(byName, name)
				break
			}
		}
		pairs = append(pairs, p)
	}
	return pairs
}

func declares(set *schema.Set, service string) bool {
	return slices.ContainsFunc(set.Services, func(s *schema.Service) bool { return s.Name == service })
}

// setIndex answers who consumes what in one set.
type setIndex struct {
	set       *schema.Set
	consumers map[*schema.Event][]string            // sorted service names, by the version they consume
	reachedBy map[*schema.NamedType][]*schema.Event // own events, at each version, whose fields reach the type
	dangling  map[string][]string                   // "producer.Event" -> consumers with an unresolved entry
}

func index(set *schema.Set) *setIndex {
	x := &setIndex{set: set, consumers: map[*schema.Event][]string{}, reachedBy: map[*schema.NamedType][]*schema.Event{}, dangling: map[string][]string{}}
	for _, s := range set.Services {
		for _, c := range s.Consumes {
			x.consumers[c.Event] = append(x.consumers[c.Event], s.Name)
		}
		for _, u := range s.Unresolved {
			x.dangling[u.Producer+"."+u.Event] = append(x.dangling[u.Producer+"."+u.Event], s.Name)
		}
		for _, e := range s.Events {
			for _, v := range e.Versions() {
				for _, t := range reached(v.Fields) {
					x.reachedBy[t] = append(x.reachedBy[t], v)
				}
			}
		}
	}
	for _, names := range x.consumers {
		slices.Sort(names)
	}
	return x
}

// consumersOf lists the services that consume e at any version.
func (x *setIndex) consumersOf(e *schema.Event) []string {
	var out []string
	for _, v := range e.Versions() {
		out = append(out, x.consumers[v]...)
	}
	return sortedUnique(out)
}

// typeConsumers lists the services that consume an event reaching t.
func (x *setIndex) typeConsumers(t *schema.NamedType) []string {
	var out []string
	for _, e := range x.reachedBy[t] {
		out = append(out, x.consumers[e]...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// reached lists the named types fields use, directly or through other
// types, once each.
func reached(fields []*schema.Field) []*schema.NamedType {
	var out []*schema.NamedType
	var visit func([]*schema.Field)
	visit = func(fs []*schema.Field) {
		for _, f := range fs {
			t := f.Type
			for t.Kind == schema.KindList || t.Kind == schema.KindMap {
				t = t.Elem
			}
			if t.Kind == schema.KindNamed && !slices.Contains(out, t.Named) {
				out = append(out, t.Named)
				visit(t.Named.Fields)
			}
		}
	}
	visit(fields)
	return out
}
