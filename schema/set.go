package schema

import (
	"slices"
	"strings"
)

// loader validates a contract set and builds its model.
type loader struct {
	e    errs
	opts LoadOptions
}

// load runs every check over the whole set, so that one run reports every
// problem, and returns the model only when there are none.
func (l *loader) load(srcs []Source) (*Set, error) {
	srcs = slices.Clone(srcs)
	slices.SortStableFunc(srcs, func(a, b Source) int { return strings.Compare(a.Name, b.Name) })
	var files []*file
	for _, src := range srcs {
		if f := decodeFile(src, &l.e); f != nil {
			files = append(files, f)
		}
	}
	for _, f := range files {
		f.resolveTypes()
		f.checkBounds()
		f.resolveKeys()
		f.resolveOrders()
		f.checkCycles()
		f.checkDepth()
	}
	set, byName := l.services(files)
	for _, f := range files {
		f.resolveConsumes(byName, l.opts.KeepUnresolved)
	}
	l.packages(files)
	if err := l.e.result(); err != nil {
		return nil, err
	}
	return set, nil
}

// resolveTypes parses every field's type expression.
func (f *file) resolveTypes() {
	for _, te := range f.typeExprs {
		t, err := parseTypeExpr(te.node.Value, f.types)
		if err != nil {
			f.errorf(te.node, "%s", err)
			continue
		}
		te.field.Type = t
	}
}

// services collects the set's services, reporting a name used twice.
func (l *loader) services(files []*file) (*Set, map[string]*file) {
	set := &Set{}
	byName := map[string]*file{}
	for _, f := range files {
		name := f.svc.Name
		if name == "" {
			continue
		}
		if prev, dup := byName[name]; dup {
			l.e.add(f.svc.Pos, "service %q is already declared in %s; each service has one contract file", name, prev.svc.Pos)
			continue
		}
		byName[name] = f
		set.Services = append(set.Services, f.svc)
	}
	slices.SortFunc(set.Services, func(a, b *Service) int { return strings.Compare(a.Name, b.Name) })
	return set, byName
}
