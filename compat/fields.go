package compat

import (
	"fmt"

	"github.com/evgenhq/evgen/schema"
)

// fieldScope is an event or struct type whose fields are compared, and
// the services each mode of break reaches.
type fieldScope struct {
	what   string     // "event users.UserRegistered", "type users.Address"
	pos    schema.Pos // the event or type in the later contract
	live   []string   // consumers generated from the earlier contract
	replay []string   // consumers generated from the later contract
	code   []string   // services whose generated package holds the type
	goType string     // the generated type's name, for messages
}

// fields compares the fields of one event or struct type.
func (c *comparison) fields(s fieldScope, old, new []*schema.Field) {
	renamed := renames(old, new)
	for i, o := range old {
		n := fieldNamed(new, o.Name)
		switch {
		case n != nil:
			c.field(s, o, n)
		case renamed[i] != nil:
			c.renamed(s, o, renamed[i])
		default:
			c.removed(s, o)
		}
	}
	for _, n := range new {
		if fieldNamed(old, n.Name) == nil && !isValue(renamed, n) && !n.Optional {
			c.add(RequiredFieldAdded, n.Pos, fmt.Sprintf("%s: required field %s added", s.what, n.Name),
				effect(Replay, s.replay, fmt.Sprintf("events in the log lack %s, so their decoders reject them", n.Name)))
		}
	}
}

// renames pairs a removed field with an added one as a rename when the
// added field takes the removed one's place in the list with the same type
// and optionality; any other removal and addition are reported as such.
func renames(old, new []*schema.Field) map[int]*schema.Field {
	out := map[int]*schema.Field{}
	for i, o := range old {
		if i >= len(new) || fieldNamed(new, o.Name) != nil {
			continue
		}
		n := new[i]
		if fieldNamed(old, n.Name) == nil && n.Type.String() == o.Type.String() && n.Optional == o.Optional {
			out[i] = n
		}
	}
	return out
}

func (c *comparison) removed(s fieldScope, o *schema.Field) {
	var live []Effect
	if !o.Optional {
		live = effect(Live, s.live, fmt.Sprintf("their deployed decoders require %s and reject every new event", o.Name))
	}
	c.add(FieldRemoved, s.pos, fmt.Sprintf("%s: %s field %s removed (was %s)", s.what, optionality(o), o.Name, o.Pos), live,
		effect(Code, s.code, fmt.Sprintf("the generated %s loses field %s", s.goType, o.GoName)))
}

func (c *comparison) renamed(s fieldScope, o, n *schema.Field) {
	live := fmt.Sprintf("their deployed consumers read %s as absent in every new event", o.Name)
	if !o.Optional {
		live = fmt.Sprintf("their deployed decoders require %s, which new events lack, and reject them", o.Name)
	}
	replay := fmt.Sprintf("they read %s as absent in the events of the log", n.Name)
	if !n.Optional {
		replay = fmt.Sprintf("their decoders require %s, which the events of the log lack, and reject them", n.Name)
	}
	c.add(FieldRenamed, n.Pos, fmt.Sprintf("%s: field %s renamed to %s (same type and place in the list)", s.what, o.Name, n.Name),
		effect(Live, s.live, live), effect(Replay, s.replay, replay),
		effect(Code, s.code, fmt.Sprintf("field %s of the generated %s becomes %s", o.GoName, s.goType, n.GoName)))
}

// field compares a field kept under its name.
func (c *comparison) field(s fieldScope, o, n *schema.Field) {
	if o.Type.String() != n.Type.String() {
		c.typeChanged(s, o, n)
	} else {
		c.bounds(s, o, n)
	}
	if o.Optional == n.Optional {
		return
	}
	code := goType(o.Type, o.Optional) != goType(n.Type, n.Optional)
	var codeEffect []Effect
	if code && o.Type.String() == n.Type.String() {
		codeEffect = effect(Code, s.code, fmt.Sprintf("field %s of the generated %s changes from %s to %s", n.GoName, s.goType, goType(o.Type, o.Optional), goType(n.Type, n.Optional)))
	}
	if o.Optional {
		c.add(FieldMadeRequired, n.Pos, fmt.Sprintf("%s: field %s made required", s.what, n.Name),
			effect(Replay, s.replay, fmt.Sprintf("events in the log may lack %s, and their decoders reject those", n.Name)), codeEffect)
		return
	}
	c.add(FieldMadeOptional, n.Pos, fmt.Sprintf("%s: field %s made optional", s.what, n.Name),
		effect(Live, s.live, fmt.Sprintf("their deployed decoders require %s and reject a new event without it", n.Name)), codeEffect)
}

func (c *comparison) typeChanged(s fieldScope, o, n *schema.Field) {
	var effects []Effect
	if !readable(o.Type, n.Type) {
		effects = append(effects, effect(Live, s.live, fmt.Sprintf("their deployed decoders read %s as %s and reject %s values", n.Name, o.Type, n.Type))...)
	}
	if !readable(n.Type, o.Type) {
		effects = append(effects, effect(Replay, s.replay, fmt.Sprintf("their decoders read %s as %s and reject the %s values in the log", n.Name, n.Type, o.Type))...)
	}
	if og, ng := goType(o.Type, o.Optional), goType(n.Type, n.Optional); og != ng {
		effects = append(effects, effect(Code, s.code, fmt.Sprintf("field %s of the generated %s changes from %s to %s", n.GoName, s.goType, og, ng))...)
	}
	c.add(FieldTypeChanged, n.Pos, fmt.Sprintf("%s: field %s changed type from %s to %s", s.what, n.Name, o.Type, n.Type), effects)
}

func optionality(f *schema.Field) string {
	if f.Optional {
		return "optional"
	}
	return "required"
}

func fieldNamed(fields []*schema.Field, name string) *schema.Field {
	for _, f := range fields {
		if f.Name == name {
			return f
		}
	}
	return nil
}

func isValue(m map[int]*schema.Field, f *schema.Field) bool {
	for _, v := range m {
		if v == f {
			return true
		}
	}
	return false
}
