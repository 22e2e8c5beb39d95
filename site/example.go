package site

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"

	"github.com/evgenhq/evgen/schema"
)

// example is a payload of ev as its producer's generated code encodes it
// and every consumer's decodes it (runtime/wire): each field set, the
// optional ones too, with a fixed value of its type. The same field name
// gets the same value in every event, so that a user_id reads as one
// user across the catalog.
func example(ev *schema.Event) (string, error) {
	var b bytes.Buffer
	writeObject(&b, ev.Fields, map[*schema.NamedType]bool{})
	var out bytes.Buffer
	if err := json.Indent(&out, b.Bytes(), "", "  "); err != nil {
		return "", fmt.Errorf("example payload of %s: %w", ev.Type, err)
	}
	return out.String(), nil
}

// writeObject writes a struct's fields in contract order. open holds the
// struct types being written, outside in: a field that would recurse into
// one of them is left out when optional, and an empty list or map when it
// is one; a required field cannot recurse, as the validator refuses types
// of infinite size.
func writeObject(b *bytes.Buffer, fields []*schema.Field, open map[*schema.NamedType]bool) {
	b.WriteByte('{')
	n := 0
	for _, fd := range fields {
		if fd.Optional && recurses(fd.Type, open) {
			continue
		}
		if n > 0 {
			b.WriteByte(',')
		}
		n++
		writeString(b, fd.Name)
		b.WriteByte(':')
		writeValue(b, fd.Name, fd.Type, open)
	}
	b.WriteByte('}')
}

// writeValue writes a value of t for the field named name.
func writeValue(b *bytes.Buffer, name string, t *schema.Type, open map[*schema.NamedType]bool) {
	switch t.Kind {
	case schema.KindList:
		if recurses(t.Elem, open) {
			b.WriteString("[]")
			return
		}
		b.WriteByte('[')
		writeValue(b, name, t.Elem, open)
		b.WriteByte(']')
	case schema.KindMap:
		if recurses(t.Elem, open) {
			b.WriteString("{}")
			return
		}
		b.WriteString(`{"key":`)
		writeValue(b, name, t.Elem, open)
		b.WriteByte('}')
	case schema.KindNamed:
		writeNamed(b, t.Named, open)
	default:
		b.WriteString(scalar(name, t.Kind))
	}
}

func writeNamed(b *bytes.Buffer, n *schema.NamedType, open map[*schema.NamedType]bool) {
	if n.IsEnum() {
		writeString(b, n.Enum[0].Value)
		return
	}
	open[n] = true
	writeObject(b, n.Fields, open)
	delete(open, n)
}

// recurses reports whether t mentions a struct type being written.
func recurses(t *schema.Type, open map[*schema.NamedType]bool) bool {
	for t.Kind == schema.KindList || t.Kind == schema.KindMap {
		t = t.Elem
	}
	return t.Kind == schema.KindNamed && open[t.Named]
}

// scalar is the JSON of a built-in scalar: each valid for its checks in
// runtime/wire and never the zero value, which a required field refuses.
func scalar(name string, k schema.Kind) string {
	switch k {
	case schema.KindBool:
		return "true"
	case schema.KindInt32, schema.KindInt64:
		return "42"
	case schema.KindFloat64:
		return "0.5"
	case schema.KindDecimal:
		return `"12.50"`
	case schema.KindUUID:
		return `"` + exampleUUID(name) + `"`
	case schema.KindTimestamp:
		return `"2026-01-02T15:04:05Z"`
	case schema.KindDate:
		return `"2026-01-02"`
	case schema.KindDuration:
		return `"1h30m"`
	case schema.KindBytes:
		return `"ZXhhbXBsZQ=="` // "example", base64 as encoding/json writes []byte
	}
	var b bytes.Buffer
	writeString(&b, "example "+name)
	return b.String()
}

// exampleUUID is a version 4 UUID drawn from the field name.
func exampleUUID(name string) string {
	h := sha256.Sum256([]byte(name))
	h[6] = h[6]&0x0f | 0x40
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

func writeString(b *bytes.Buffer, s string) {
	q, _ := json.Marshal(s) // a string always marshals
	b.Write(q)
}
