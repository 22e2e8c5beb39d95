package jsonschema

import (
	"math"
	"strings"

	"github.com/evgenhq/evgen/internal/ordered"
	"github.com/evgenhq/evgen/schema"
)

// Ref returns the $ref of a named type's schema: "#/$defs/users.Plan" in
// a schema file, "#/components/schemas/users.Plan" in an AsyncAPI
// document.
type Ref func(n *schema.NamedType) string

// Patterns of the string-encoded types: the checks of runtime/wire
// written as regular expressions valid in ECMA-262 and RE2.
const (
	PatternUUID    = `^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`
	PatternDecimal = `^-?[0-9]+(\.[0-9]+)?$`
	PatternDate    = `^[0-9]{4}-[0-9]{2}-[0-9]{2}$`
	// PatternDuration is Go's time.ParseDuration syntax, which JSON
	// Schema's "duration" format (ISO 8601, "PT1H30M") is not.
	PatternDuration = `^[-+]?(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$`
)

// DefName is the name of a named type's schema among the definitions:
// the owning service, a dot, the type ("users.Plan"), so that types of
// different producers with one name stay apart.
func DefName(n *schema.NamedType) string { return n.Service.Name + "." + n.Name }

// Event is the schema of ev's payload: an object with a property per
// field, the required ones listed.
func Event(ev *schema.Event, ref Ref) *ordered.Map { return eventInto(ordered.New(), ev, ref) }

// eventInto adds the members of ev's payload schema to s.
func eventInto(s *ordered.Map, ev *schema.Event, ref Ref) *ordered.Map {
	if d := describe(ev.Doc, ev.Deprecated); d != "" {
		s.Set("description", d)
	}
	if ev.Deprecated != "" {
		s.Set("deprecated", true)
	}
	return object(s, ev.Fields, ref)
}

// Named is the schema of a struct or enum from a `types:` section.
func Named(n *schema.NamedType, ref Ref) *ordered.Map {
	s := ordered.New()
	if d := describe(n.Doc, ""); d != "" {
		s.Set("description", d)
	}
	if n.IsEnum() {
		values := make([]string, len(n.Enum))
		for i, v := range n.Enum {
			values[i] = v.Value
		}
		return s.Set("type", "string").Set("enum", values)
	}
	return object(s, n.Fields, ref)
}

// object completes s as the schema of an object with fields. Unknown
// properties are allowed: consumers ignore them, so producers may add
// fields.
func object(s *ordered.Map, fields []*schema.Field, ref Ref) *ordered.Map {
	s.Set("type", "object")
	props := ordered.New()
	var required []string
	for _, f := range fields {
		props.Set(f.Name, field(f, ref))
		if !f.Optional {
			required = append(required, f.Name)
		}
	}
	s.Set("properties", props)
	if len(required) > 0 {
		s.Set("required", required)
	}
	return s
}

// field is a property's schema: its type's, with the doc and deprecation,
// and the checks the runtime makes beyond the type: a required string is
// not empty, and the field's bounds.
func field(f *schema.Field, ref Ref) *ordered.Map {
	s := Type(f.Type, ref)
	bounds(s, f)
	if d := describe(f.Doc, f.Deprecated); d != "" {
		s.Set("description", d)
	}
	if f.Deprecated != "" {
		s.Set("deprecated", true)
	}
	return s
}

// bounds adds f's bounds to its schema s: minLength, maxLength and
// pattern on a string, which both count and match as generated code does
// (code points; an unanchored pattern of the subset schema.Load accepts),
// and minItems and maxItems on a list.
func bounds(s *ordered.Map, f *schema.Field) {
	b := f.Bounds
	minLength := b.MinLength
	if !f.Optional && f.Type.Kind == schema.KindString {
		minLength = max(minLength, 1)
	}
	for _, kv := range []struct {
		key string
		n   int
	}{{"minLength", minLength}, {"maxLength", b.MaxLength}, {"minItems", b.MinItems}, {"maxItems", b.MaxItems}} {
		if kv.n > 0 {
			s.Set(kv.key, kv.n)
		}
	}
	if b.Pattern != "" {
		s.Set("pattern", b.Pattern)
	}
}

// Type is the schema of a type expression, as runtime/wire encodes it:
// decimals, UUIDs, dates and durations as strings of their form,
// timestamps as RFC 3339, bytes as base64. Lists, maps and bytes may be
// null, wherever they are: Go encodes their nil value so, and the decoder
// reads null as empty.
func Type(t *schema.Type, ref Ref) *ordered.Map {
	s := ordered.New()
	switch t.Kind {
	case schema.KindString:
		s.Set("type", "string")
	case schema.KindBool:
		s.Set("type", "boolean")
	case schema.KindInt32:
		s.Set("type", "integer").Set("format", "int32").Set("minimum", math.MinInt32).Set("maximum", math.MaxInt32)
	case schema.KindInt64:
		s.Set("type", "integer").Set("format", "int64").Set("minimum", int64(math.MinInt64)).Set("maximum", int64(math.MaxInt64))
	case schema.KindFloat64:
		s.Set("type", "number").Set("format", "double")
	case schema.KindDecimal:
		s.Set("type", "string").Set("pattern", PatternDecimal).Set("examples", []string{"12.50"})
	case schema.KindUUID:
		s.Set("type", "string").Set("format", "uuid").Set("pattern", PatternUUID)
	case schema.KindTimestamp:
		s.Set("type", "string").Set("format", "date-time")
	case schema.KindDate:
		s.Set("type", "string").Set("format", "date").Set("pattern", PatternDate)
	case schema.KindDuration:
		s.Set("type", "string").Set("pattern", PatternDuration).Set("examples", []string{"1h30m"})
	case schema.KindBytes:
		s.Set("type", nullable("string")).Set("contentEncoding", "base64")
	case schema.KindList:
		s.Set("type", nullable("array")).Set("items", Type(t.Elem, ref))
	case schema.KindMap:
		s.Set("type", nullable("object")).Set("additionalProperties", Type(t.Elem, ref))
	case schema.KindNamed:
		s.Set("$ref", ref(t.Named))
	}
	return s
}

func nullable(t string) []string { return []string{t, "null"} }

// describe is a description from a doc and a deprecation notice.
func describe(doc, deprecated string) string {
	doc = strings.TrimSpace(doc)
	if deprecated == "" {
		return doc
	}
	if doc != "" {
		doc += "\n\n"
	}
	return doc + "Deprecated: " + deprecated
}

// Uses is every named type ev's payload refers to, directly or through
// other named types, sorted by DefName.
func Uses(ev *schema.Event) []*schema.NamedType {
	seen := map[*schema.NamedType]bool{}
	var out []*schema.NamedType
	var visit func(t *schema.Type)
	visit = func(t *schema.Type) {
		switch {
		case t.Elem != nil:
			visit(t.Elem)
		case t.Named != nil && !seen[t.Named]:
			seen[t.Named] = true
			out = append(out, t.Named)
			for _, f := range t.Named.Fields {
				visit(f.Type)
			}
		}
	}
	for _, f := range ev.Fields {
		visit(f.Type)
	}
	sortNamed(out)
	return out
}
