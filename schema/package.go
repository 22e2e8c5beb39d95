package schema

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// generatedNames are the package-level identifiers every generated
// package declares, besides the contract's events and types.
var generatedNames = []string{"Publisher", "NewPublisher", "Handlers", "RegisterHandlers", "Contract", "SnapshotSource", "RegisterSnapshots"}

// packages decides every service's generated package and its Go names.
func (l *loader) packages(files []*file) {
	paths := map[string]*file{}
	for _, f := range files {
		pkg := &Package{Service: f.svc}
		f.svc.Package = pkg
		f.packageName(pkg, paths)
		s := newScope(f)
		s.declareOwn(pkg)
		s.declareConsumed(pkg)
		s.declareProducers(pkg)
		s.declareCarried(pkg)
		pkg.Patterns = patterns(pkg)
	}
}

// patterns are the distinct patterns of the fields pkg declares, in order
// of first use, with their Go names.
func patterns(pkg *Package) []*PatternDecl {
	var out []*PatternDecl
	seen := map[string]bool{}
	add := func(fields []*Field) {
		for _, fd := range fields {
			if re := fd.Bounds.Pattern; re != "" && !seen[re] {
				seen[re] = true
				out = append(out, &PatternDecl{Pattern: re, GoName: fmt.Sprintf("pattern%d", len(out)+1)})
			}
		}
	}
	for _, d := range pkg.Events {
		add(d.Event.Fields)
	}
	for _, d := range pkg.Types {
		add(d.Type.Fields)
	}
	return out
}

// scope is the set of Go names declared in one generated package, keyed
// by lower case: two names that differ only in case are a collision too,
// as they would confuse readers and case-insensitive file systems alike.
type scope struct {
	f     *file
	taken map[string]declared
}

// declared is a Go name in a scope and what declares it, for messages.
type declared struct {
	name, what string
}

func newScope(f *file) *scope {
	s := &scope{f: f, taken: map[string]declared{}}
	for _, n := range generatedNames {
		s.take(n, "the generated "+n)
	}
	return s
}

// owner says what declares name already, or "" when it is free.
func (s *scope) owner(name string) string {
	d, ok := s.taken[strings.ToLower(name)]
	switch {
	case !ok:
		return ""
	case d.name != name:
		return d.what + ", which differs only in case"
	}
	return d.what
}

func (s *scope) take(name, what string) { s.taken[strings.ToLower(name)] = declared{name, what} }

// ownDecl is an identifier the service's own contract declares.
type ownDecl struct {
	name, what string
	pos        Pos
}

// declareOwn declares the service's events, types and enum constants; of
// two that collide, the later one in the file is reported.
func (s *scope) declareOwn(pkg *Package) {
	var decls []ownDecl
	for _, ev := range s.f.svc.Events {
		pkg.Events = append(pkg.Events, &EventDecl{Event: ev, GoName: ev.Name, Own: true})
		decls = append(decls, ownDecl{ev.Name, "event " + ev.Name, ev.Pos})
		decls = append(decls, declareOlder(pkg, ev)...)
	}
	for _, t := range s.f.svc.Types {
		pkg.Types = append(pkg.Types, &TypeDecl{Type: t, GoName: t.Name})
		decls = append(decls, ownDecl{t.Name, "type " + t.Name, t.Pos})
		for _, v := range t.Enum {
			decls = append(decls, ownDecl{t.Name + v.GoSuffix, fmt.Sprintf("enum constant %s%s", t.Name, v.GoSuffix), v.Pos})
		}
	}
	slices.SortStableFunc(decls, func(a, b ownDecl) int {
		return cmp.Or(cmp.Compare(a.pos.Line, b.pos.Line), cmp.Compare(a.pos.Col, b.pos.Col))
	})
	for _, d := range decls {
		if prev := s.owner(d.name); prev != "" {
			s.f.e.add(d.pos, "%s collides in the generated package %s with %s; rename it", d.what, pkg.Name, prev)
			continue
		}
		s.take(d.name, fmt.Sprintf("%s at line %d", d.what, d.pos.Line))
	}
}

// declareConsumed declares consumed events under their local names.
func (s *scope) declareConsumed(pkg *Package) {
	for _, c := range s.f.svc.Consumes {
		ev := c.Event
		if prev := s.owner(c.LocalName); prev != "" {
			s.f.e.add(c.Pos, "consumed event %s would be declared in package %s as %s, which collides with %s; give it another name: {event: %s, as: %s%s}",
				ev.Type, pkg.Name, c.LocalName, prev, ev.Name, goName(ev.Service.Name), ev.Name)
			continue
		}
		s.take(c.LocalName, fmt.Sprintf("consumed event %s at line %d", ev.Type, c.Pos.Line))
		pkg.Events = append(pkg.Events, &EventDecl{Event: ev, GoName: c.LocalName})
	}
}
