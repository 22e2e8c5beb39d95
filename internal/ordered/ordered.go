// Package ordered is a JSON and YAML object that keeps its keys in the
// order they were set, so that generated documents (AsyncAPI, JSON Schema)
// read in a deliberate order and come out byte-for-byte the same each run.
package ordered

import (
	"bytes"
	"encoding/json"

	"gopkg.in/yaml.v3"
)

// Map is an object whose members marshal in insertion order.
type Map struct {
	keys []string
	vals map[string]any
}

// New returns an empty Map.
func New() *Map { return &Map{vals: map[string]any{}} }

// Set sets key to v and returns m; a key set again keeps its place.
func (m *Map) Set(key string, v any) *Map {
	if _, ok := m.vals[key]; !ok {
		m.keys = append(m.keys, key)
	}
	m.vals[key] = v
	return m
}

// Merge sets every member of o in m, in o's order, and returns m.
func (m *Map) Merge(o *Map) *Map {
	for _, k := range o.keys {
		m.Set(k, o.vals[k])
	}
	return m
}

// Get returns the value of key.
func (m *Map) Get(key string) (any, bool) {
	v, ok := m.vals[key]
	return v, ok
}

// Len is the number of members.
func (m *Map) Len() int { return len(m.keys) }

// MarshalJSON writes the members in order.
func (m *Map) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range m.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := encode(&b, k); err != nil {
			return nil, err
		}
		b.WriteByte(':')
		if err := encode(&b, m.vals[k]); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func encode(b *bytes.Buffer, v any) error {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	b.Truncate(b.Len() - 1) // Encode's newline
	return nil
}

// MarshalYAML returns the mapping node of the members in order.
func (m *Map) MarshalYAML() (any, error) {
	n := &yaml.Node{Kind: yaml.MappingNode}
	for _, k := range m.keys {
		var val yaml.Node
		if err := val.Encode(m.vals[k]); err != nil {
			return nil, err
		}
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k}, &val)
	}
	return n, nil
}

// JSON is v as indented JSON with a final newline, without HTML escaping.
func JSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// YAML is v as YAML indented by two spaces.
func YAML(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
