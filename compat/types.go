package compat

import (
	"fmt"
	"slices"

	"github.com/evgenhq/evgen/schema"
)

// namedType compares a named type kept under its name. A type no event
// reaches, before or after, is on no wire and in no consumer's package.
func (c *comparison) namedType(o, n *schema.NamedType) {
	if len(c.old.reachedBy[o]) == 0 && len(c.new.reachedBy[n]) == 0 {
		return
	}
	s := fieldScope{
		what: fmt.Sprintf("type %s.%s", n.Service.Name, n.Name), pos: n.Pos,
		live: c.old.typeConsumers(o), replay: c.new.typeConsumers(n), code: c.new.typeConsumers(n),
		goType: n.Name,
	}
	switch {
	case o.IsEnum() != n.IsEnum():
		c.add(FieldTypeChanged, n.Pos, fmt.Sprintf("%s changed from %s to %s", s.what, kind(o), kind(n)),
			effect(Live, s.live, fmt.Sprintf("their deployed decoders read %s as %s", n.Name, kind(o))),
			effect(Replay, s.replay, fmt.Sprintf("the events of the log hold %s as %s", n.Name, kind(o))),
			effect(Code, s.code, fmt.Sprintf("the generated %s changes from %s to %s", n.Name, kind(o), kind(n))))
	case n.IsEnum():
		c.enum(s, o, n)
	default:
		c.fields(s, o.Fields, n.Fields)
	}
}

// enum compares the values of an enum.
func (c *comparison) enum(s fieldScope, o, n *schema.NamedType) {
	for _, v := range n.Enum {
		if !hasValue(o, v.Value) {
			c.add(EnumValueAdded, v.Pos, fmt.Sprintf("%s: value %s added", s.what, v.Value),
				effect(Live, s.live, fmt.Sprintf("their deployed decoders reject %s as an unknown value", v.Value)))
		}
	}
	for _, v := range o.Enum {
		if !hasValue(n, v.Value) {
			c.add(EnumValueRemoved, s.pos, fmt.Sprintf("%s: value %s removed (was %s)", s.what, v.Value, v.Pos),
				effect(Replay, s.replay, fmt.Sprintf("events in the log may hold %s, and their decoders reject it", v.Value)),
				effect(Code, s.code, fmt.Sprintf("the generated constant %s%s disappears", o.Name, v.GoSuffix)))
		}
	}
}

func hasValue(t *schema.NamedType, value string) bool {
	return slices.ContainsFunc(t.Enum, func(v *schema.EnumValue) bool { return v.Value == value })
}

func kind(t *schema.NamedType) string {
	if t.IsEnum() {
		return "an enum"
	}
	return "a struct"
}
