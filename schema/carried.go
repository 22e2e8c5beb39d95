package schema

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// carriedType is a producer's named type that consumed events bring into
// the consumer's package, with the first consume entry that brings it.
type carriedType struct {
	t  *NamedType
	by *Consumed
}

// declareCarried declares the named types consumed events use. A carried
// type keeps its name unless that (or one of its enum constants) is taken;
// then it is qualified with the producer's name: users' Plan -> UsersPlan.
func (s *scope) declareCarried(pkg *Package) {
	for _, ct := range carriedTypes(s.f.svc.Consumes) {
		name, ok := s.carriedName(ct.t)
		if !ok {
			s.f.e.add(ct.by.Pos, "type %s.%s, used by consumed event %s, can be named neither %s (%s) nor %s%s (%s) in package %s; rename one of these types",
				ct.t.Service.Name, ct.t.Name, ct.by.Event.Type,
				ct.t.Name, s.firstTaken(ct.t, ct.t.Name), goName(ct.t.Service.Name), ct.t.Name,
				s.firstTaken(ct.t, goName(ct.t.Service.Name)+ct.t.Name), pkg.Name)
			continue
		}
		what := fmt.Sprintf("type %s.%s carried in by consumed event %s", ct.t.Service.Name, ct.t.Name, ct.by.Event.Type)
		s.take(name, what)
		for _, v := range ct.t.Enum {
			s.take(name+v.GoSuffix, "enum constant "+name+v.GoSuffix+" of "+what)
		}
		pkg.Types = append(pkg.Types, &TypeDecl{Type: ct.t, GoName: name, Carried: true})
	}
}

// carriedName picks the carried type's Go name: its own, else qualified.
func (s *scope) carriedName(t *NamedType) (string, bool) {
	for _, name := range []string{t.Name, goName(t.Service.Name) + t.Name} {
		if s.firstTaken(t, name) == "" {
			return name, true
		}
	}
	return "", false
}

// firstTaken says what already declares the name of t, or of one of its
// enum constants, were t declared as name; "" when all are free.
func (s *scope) firstTaken(t *NamedType, name string) string {
	if prev := s.owner(name); prev != "" {
		return "taken by " + prev
	}
	for _, v := range t.Enum {
		if prev := s.owner(name + v.GoSuffix); prev != "" {
			return fmt.Sprintf("its constant %s%s is taken by %s", name, v.GoSuffix, prev)
		}
	}
	return ""
}

// carriedTypes lists the named types the consumed events use, directly or
// through other types, once each, sorted by producer then name.
func carriedTypes(consumes []*Consumed) []carriedType {
	seen := map[*NamedType]bool{}
	var out []carriedType
	for _, c := range consumes {
		work := fieldTypes(c.Event.Fields)
		for len(work) > 0 {
			t := work[len(work)-1]
			work = work[:len(work)-1]
			if seen[t] {
				continue
			}
			seen[t] = true
			out = append(out, carriedType{t: t, by: c})
			work = append(work, fieldTypes(t.Fields)...)
		}
	}
	slices.SortFunc(out, func(a, b carriedType) int {
		return cmp.Or(strings.Compare(a.t.Service.Name, b.t.Service.Name), strings.Compare(a.t.Name, b.t.Name))
	})
	return out
}

// fieldTypes lists the named types the fields mention, through lists and maps.
func fieldTypes(fields []*Field) []*NamedType {
	var out []*NamedType
	for _, fd := range fields {
		t := fd.Type
		for t != nil && (t.Kind == KindList || t.Kind == KindMap) {
			t = t.Elem
		}
		if t != nil && t.Kind == KindNamed {
			out = append(out, t.Named)
		}
	}
	return out
}
