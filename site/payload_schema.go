package site

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"

	"github.com/evgenhq/evgen/schema"
)

// jsonSchema is a JSON Schema (draft 2020-12) node: the subset the event
// payloads need, its keys in the order a reader expects them.
type jsonSchema struct {
	Schema               string        `json:"$schema,omitempty"`
	Title                string        `json:"title,omitempty"`
	Description          string        `json:"description,omitempty"`
	Deprecated           bool          `json:"deprecated,omitempty"`
	Ref                  string        `json:"$ref,omitempty"`
	AnyOf                []*jsonSchema `json:"anyOf,omitempty"`
	Type                 any           `json:"type,omitempty"` // a name, or [name, "null"]
	Format               string        `json:"format,omitempty"`
	Pattern              string        `json:"pattern,omitempty"`
	ContentEncoding      string        `json:"contentEncoding,omitempty"`
	MinLength            int           `json:"minLength,omitempty"`
	Minimum              *int64        `json:"minimum,omitempty"`
	Maximum              *int64        `json:"maximum,omitempty"`
	Enum                 []string      `json:"enum,omitempty"`
	Items                *jsonSchema   `json:"items,omitempty"`
	AdditionalProperties *jsonSchema   `json:"additionalProperties,omitempty"`
	Properties           properties    `json:"properties,omitempty"`
	Required             []string      `json:"required,omitempty"`
	Defs                 properties    `json:"$defs,omitempty"`
}

// properties are named schemas kept in contract order, where a Go map
// would sort them.
type properties []property

type property struct {
	name   string
	schema *jsonSchema
}

// MarshalJSON writes the properties as one object, in order.
func (ps properties) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(',')
		}
		writeString(&b, p.name)
		b.WriteByte(':')
		v, err := json.Marshal(p.schema)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Patterns of the string formats runtime/wire checks that JSON Schema has
// no format for.
const (
	decimalPattern  = `^-?[0-9]+(\.[0-9]+)?$`
	durationPattern = `^[-+]?(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$`
)

// payloadSchema is the JSON Schema of ev's payload as the generated
// decoder accepts it: the required fields present, null only where
// runtime/wire reads it as empty (optional fields, required lists, maps
// and bytes), each value of its type and format. Unknown keys are
// allowed, as consumers ignore them so that producers can add fields.
//
// It is the catalog's view of the payload. The `evgen jsonschema`
// command of issue 13 maps the same types for other languages' tools;
// once both are merged, the page should show that command's document
// and this file go.
func payloadSchema(ev *schema.Event) ([]byte, error) {
	defs := map[*schema.NamedType]*jsonSchema{}
	s := objectSchema(ev.Fields, defs)
	s.Schema = "https://json-schema.org/draft/2020-12/schema"
	s.Title = ev.Type + " v" + strconv.Itoa(ev.Version)
	s.Description = ev.Doc
	s.Deprecated = ev.Deprecated != ""
	for _, t := range ev.Service.Types { // file order, whatever the fields' order
		if def, ok := defs[t]; ok {
			s.Defs = append(s.Defs, property{t.Name, def})
		}
	}
	return json.MarshalIndent(s, "", "  ")
}

// objectSchema is the schema of a struct's fields; the named types met
// are defined in defs, once each, for $defs.
func objectSchema(fields []*schema.Field, defs map[*schema.NamedType]*jsonSchema) *jsonSchema {
	s := &jsonSchema{Type: "object"}
	for _, fd := range fields {
		f := typeSchema(fd.Type, defs)
		if !fd.Optional && zeroIsAbsent(fd.Type) && f.Type == "string" {
			f.MinLength = 1
		}
		if fd.Optional || nilable(fd.Type.Kind) {
			f = orNull(f)
		}
		f.Description = fd.Doc
		f.Deprecated = fd.Deprecated != ""
		s.Properties = append(s.Properties, property{fd.Name, f})
		if !fd.Optional {
			s.Required = append(s.Required, fd.Name)
		}
	}
	return s
}

// typeSchema is the schema of a value of t.
func typeSchema(t *schema.Type, defs map[*schema.NamedType]*jsonSchema) *jsonSchema {
	switch t.Kind {
	case schema.KindBool:
		return &jsonSchema{Type: "boolean"}
	case schema.KindInt32:
		lo, hi := int64(math.MinInt32), int64(math.MaxInt32)
		return &jsonSchema{Type: "integer", Minimum: &lo, Maximum: &hi}
	case schema.KindInt64:
		return &jsonSchema{Type: "integer"}
	case schema.KindFloat64:
		return &jsonSchema{Type: "number"}
	case schema.KindDecimal:
		return &jsonSchema{Type: "string", Pattern: decimalPattern}
	case schema.KindUUID:
		return &jsonSchema{Type: "string", Format: "uuid"}
	case schema.KindTimestamp:
		return &jsonSchema{Type: "string", Format: "date-time"}
	case schema.KindDate:
		return &jsonSchema{Type: "string", Format: "date"}
	case schema.KindDuration:
		return &jsonSchema{Type: "string", Pattern: durationPattern}
	case schema.KindBytes:
		return &jsonSchema{Type: "string", ContentEncoding: "base64"}
	case schema.KindList:
		return &jsonSchema{Type: "array", Items: typeSchema(t.Elem, defs)}
	case schema.KindMap:
		return &jsonSchema{Type: "object", AdditionalProperties: typeSchema(t.Elem, defs)}
	case schema.KindNamed:
		return namedRef(t.Named, defs)
	}
	return &jsonSchema{Type: "string"}
}

// namedRef refers to a named type's definition, adding it to defs on
// first use. The entry is made before the definition is built, so that a
// type containing itself refers to itself instead of recursing.
func namedRef(n *schema.NamedType, defs map[*schema.NamedType]*jsonSchema) *jsonSchema {
	if _, ok := defs[n]; !ok {
		defs[n] = nil
		defs[n] = namedSchema(n, defs)
	}
	return &jsonSchema{Ref: "#/$defs/" + n.Name}
}

func namedSchema(n *schema.NamedType, defs map[*schema.NamedType]*jsonSchema) *jsonSchema {
	if n.IsEnum() {
		s := &jsonSchema{Type: "string", Description: n.Doc}
		for _, v := range n.Enum {
			s.Enum = append(s.Enum, v.Value)
		}
		return s
	}
	s := objectSchema(n.Fields, defs)
	s.Description = n.Doc
	return s
}

// orNull lets s also be null.
func orNull(s *jsonSchema) *jsonSchema {
	if name, ok := s.Type.(string); ok {
		s.Type = []string{name, "null"}
		return s
	}
	return &jsonSchema{AnyOf: []*jsonSchema{s, {Type: "null"}}}
}

// zeroIsAbsent reports whether a required field of type t refuses the
// zero value of its Go type (wire.NonZero): strings of every format.
func zeroIsAbsent(t *schema.Type) bool {
	switch t.Kind {
	case schema.KindString, schema.KindDecimal, schema.KindUUID, schema.KindDate, schema.KindDuration, schema.KindTimestamp:
		return true
	}
	return false
}

// nilable reports whether a required field of kind k may be null, as Go
// encodes a nil list, map or byte slice.
func nilable(k schema.Kind) bool {
	return k == schema.KindList || k == schema.KindMap || k == schema.KindBytes
}
