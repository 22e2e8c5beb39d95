package schema

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// entry is one key: value pair of a YAML mapping.
type entry struct {
	key, val *yaml.Node
}

// nodes reads yaml.v3 nodes of one file, reporting problems with their
// positions.
type nodes struct {
	file string
	e    *errs
}

func (n nodes) pos(y *yaml.Node) Pos { return Pos{File: n.file, Line: y.Line, Col: y.Column} }

func (n nodes) errorf(y *yaml.Node, format string, args ...any) {
	n.e.add(n.pos(y), format, args...)
}

// is reports whether y has the wanted kind, reporting it when not. what
// names the value for the message ("the fields of event X").
func (n nodes) is(y *yaml.Node, kind yaml.Kind, what string) bool {
	if y.Kind == yaml.AliasNode {
		n.errorf(y, "YAML aliases (*%s) are not supported in contracts: write the value out", y.Value)
		return false
	}
	if y.Kind != kind {
		n.errorf(y, "%s must be %s, not %s", what, kindName(kind), describe(y))
		return false
	}
	return true
}

// entries returns a mapping's pairs in order. Duplicate keys, which yaml.v3
// accepts silently, are reported and left out; so are keys that are not
// plain scalars.
func (n nodes) entries(y *yaml.Node, what string) []entry {
	if !n.is(y, yaml.MappingNode, what) {
		return nil
	}
	first := map[string]*yaml.Node{}
	var out []entry
	for i := 0; i+1 < len(y.Content); i += 2 {
		k, v := y.Content[i], y.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			n.errorf(k, "keys in %s must be plain names, not %s", what, describe(k))
			continue
		}
		if k.Tag == "!!merge" {
			n.errorf(k, "YAML merge keys (<<) are not supported in contracts: write the keys out")
			continue
		}
		if prev, dup := first[k.Value]; dup {
			n.errorf(k, "duplicate key %q in %s (first at line %d)", k.Value, what, prev.Line)
			continue
		}
		first[k.Value] = k
		out = append(out, entry{k, v})
	}
	return out
}

// known returns a mapping's pairs by key, reporting keys not in allowed.
func (n nodes) known(y *yaml.Node, what string, allowed ...string) map[string]entry {
	out := map[string]entry{}
	for _, en := range n.entries(y, what) {
		if !slices.Contains(allowed, en.key.Value) {
			n.errorf(en.key, "unknown key %q in %s%s; known keys: %s",
				en.key.Value, what, didYouMean(en.key.Value, allowed), strings.Join(allowed, ", "))
			continue
		}
		out[en.key.Value] = en
	}
	return out
}

// text reads a scalar as text: a name, a doc string, a type expression.
func (n nodes) text(y *yaml.Node, what string) (string, bool) {
	if !n.is(y, yaml.ScalarNode, what) {
		return "", false
	}
	if y.Tag == "!!null" {
		n.errorf(y, "%s is empty", what)
		return "", false
	}
	return y.Value, true
}

// boolean reads a true/false scalar.
func (n nodes) boolean(y *yaml.Node, what string) (bool, bool) {
	if !n.is(y, yaml.ScalarNode, what) {
		return false, false
	}
	if y.Tag != "!!bool" {
		n.errorf(y, "%s must be true or false, not %q", what, y.Value)
		return false, false
	}
	return y.Value == "true", true
}

// integer reads an integer scalar.
func (n nodes) integer(y *yaml.Node, what string) (int, bool) {
	if !n.is(y, yaml.ScalarNode, what) {
		return 0, false
	}
	v, err := strconv.Atoi(y.Value)
	if y.Tag != "!!int" || err != nil {
		n.errorf(y, "%s must be an integer, not %q", what, y.Value)
		return 0, false
	}
	return v, true
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "a mapping (key: value)"
	case yaml.SequenceNode:
		return "a list"
	}
	return "a single value"
}

// describe says what a node is, for messages: "a list", "the value \"x\"".
func describe(y *yaml.Node) string {
	switch y.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	if y.Tag == "!!null" || y.Value == "" {
		return "empty"
	}
	return fmt.Sprintf("%q", clip(y.Value))
}

// clip shortens long values quoted in messages.
func clip(s string) string {
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}
