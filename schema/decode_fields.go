package schema

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

var fieldKeys = append([]string{"type", "optional", "doc", "deprecated"}, boundKeys...)

// methodNames are the methods generated on event and struct types; a
// field with one of these Go names would not compile.
var methodNames = map[string]bool{
	"EventType": true, "EventVersion": true, "EventKey": true, "Validate": true,
	"MarshalJSON": true, "UnmarshalJSON": true, "Valid": true,
}

// decodeFields reads the `fields:` of an event or struct type, in order.
// owner names it for messages ("event UserRegistered").
func (f *file) decodeFields(y *yaml.Node, owner string) []*Field {
	out := []*Field{}
	byGo := map[string]*Field{}
	for _, en := range f.entries(y, "the fields of "+owner) {
		fd := f.decodeField(en, owner)
		k := strings.ToLower(fd.GoName)
		if prev, dup := byGo[k]; dup {
			f.errorf(en.key, "%s: fields %q and %q (line %d) %s; rename one",
				owner, fd.Name, prev.Name, prev.Pos.Line, clash(prev.GoName, fd.GoName))
			continue
		}
		byGo[k] = fd
		out = append(out, fd)
	}
	return out
}

// decodeField reads one field in short form (`email: string`) or long
// form (`email: {type: string, optional: true}`).
func (f *file) decodeField(en entry, owner string) *Field {
	name := en.key.Value
	fd := &Field{Name: name, GoName: goName(name), Pos: f.pos(en.key)}
	what := fmt.Sprintf("field %s of %s", name, owner)
	switch {
	case !lowerSnakeRE.MatchString(name):
		f.errorf(en.key, "bad field name %q in %s: %s", clip(name), owner, snakeHint(name, lowerSnakeRE))
	case methodNames[fd.GoName]:
		f.errorf(en.key, "field %q of %s becomes the Go name %s, a method of the generated type; rename the field", name, owner, fd.GoName)
	}
	if en.val.Kind != yaml.MappingNode {
		f.expectType(fd, en.val, what)
		return fd
	}
	m := f.known(en.val, what, fieldKeys...)
	if t, ok := m["type"]; ok {
		f.expectType(fd, t.val, what+": type")
	} else {
		f.errorf(en.val, "%s needs `type:`", what)
	}
	if o, ok := m["optional"]; ok {
		fd.Optional, _ = f.boolean(o.val, what+": optional")
	}
	fd.Doc = f.doc(m, what+": doc")
	fd.Deprecated = f.deprecated(m, what+": deprecated")
	f.decodeBounds(fd, m, what)
	return fd
}

// expectType records a field's type expression for resolving later.
func (f *file) expectType(fd *Field, y *yaml.Node, what string) {
	if y.Kind == yaml.ScalarNode && y.Tag == "!!null" {
		f.errorf(y, "%s has no type: write one, such as string", what)
		return
	}
	if !f.is(y, yaml.ScalarNode, what) {
		return
	}
	f.typeExprs = append(f.typeExprs, typeExpr{field: fd, node: y})
}
