package schema

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

var typeKeys = []string{"doc", "enum", "fields"}

// decodeTypes reads the `types:` section.
func (f *file) decodeTypes(y *yaml.Node) {
	for _, en := range f.entries(y, "types") {
		name := en.key.Value
		t := &NamedType{Service: f.svc, Name: name, Pos: f.pos(en.key)}
		if !upperCamelRE.MatchString(name) {
			f.errorf(en.key, "bad type name %q: %s", clip(name), camelHint(name))
		} else if _, builtin := builtins[strings.ToLower(name)]; builtin {
			f.errorf(en.key, "type name %q reads like the built-in type %q; choose another name", name, strings.ToLower(name))
		}
		f.types[name] = t
		f.svc.Types = append(f.svc.Types, t)
		f.decodeType(t, en.val)
	}
}

// decodeType reads one named type: a struct (`fields:`) or an enum (`enum:`).
func (f *file) decodeType(t *NamedType, y *yaml.Node) {
	what := fmt.Sprintf("type %s", t.Name)
	m := f.known(y, what, typeKeys...)
	if y.Kind != yaml.MappingNode {
		return
	}
	t.Doc = f.doc(m, what+": doc")
	enum, isEnum := m["enum"]
	fields, isStruct := m["fields"]
	switch {
	case isEnum && isStruct:
		f.errorf(enum.key, "%s has both enum and fields: a type is either an enum or a struct", what)
	case isEnum:
		t.Enum = f.decodeEnum(t, enum.val)
	case isStruct:
		t.Fields = f.decodeFields(fields.val, what)
	default:
		f.errorf(y, "%s needs `fields:` (a struct) or `enum:` (a list of values)", what)
	}
}

// decodeEnum reads an enum's values. The result is never nil, so that
// IsEnum holds even for an enum with errors.
func (f *file) decodeEnum(t *NamedType, y *yaml.Node) []*EnumValue {
	out := []*EnumValue{}
	what := fmt.Sprintf("enum %s", t.Name)
	if !f.is(y, yaml.SequenceNode, what) {
		return out
	}
	if len(y.Content) == 0 {
		f.errorf(y, "%s has no values: list at least one, such as [active, closed]", what)
	}
	seen := map[string]*yaml.Node{}
	for _, vn := range y.Content {
		v, ok := f.text(vn, what+" value")
		if !ok {
			continue
		}
		if !lowerSnakeRE.MatchString(v) {
			f.errorf(vn, "bad value %q in %s: %s", clip(v), what, snakeHint(v, lowerSnakeRE))
			continue
		}
		if prev, dup := seen[v]; dup {
			f.errorf(vn, "duplicate value %q in %s (first at line %d)", v, what, prev.Line)
			continue
		}
		seen[v] = vn
		out = append(out, &EnumValue{Value: v, GoSuffix: goName(v), Pos: f.pos(vn)})
	}
	return out
}
