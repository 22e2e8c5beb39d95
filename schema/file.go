package schema

import (
	"gopkg.in/yaml.v3"
)

// FormatVersion is the only version of the contract format, the value of
// a contract's `evgen:` key.
const FormatVersion = 1

// file is one contract being decoded: the service built so far and what
// can only be resolved once every name of the file, or of the set, is known.
type file struct {
	nodes
	svc       *Service
	goPackage *yaml.Node            // the go_package value, checked with the set
	types     map[string]*NamedType // by contract name
	typeExprs []typeExpr
	bounds    []boundRef
	keys      []keyRef
	orders    []orderRef
	consumes  []consumeRef
}

// typeExpr is a field's type expression, resolved once all types are known.
type typeExpr struct {
	field *Field
	node  *yaml.Node
}

// keyRef is an event's `key:`, resolved once its fields' types are known.
type keyRef struct {
	event *Event
	node  *yaml.Node
}

// consumeRef is one `consumes` entry, resolved against the whole set.
type consumeRef struct {
	producer *yaml.Node // the service name key
	event    *yaml.Node // the event name
	as       *yaml.Node // nil without `as:`
	version  *yaml.Node // nil without `version:`: the newest version
	emits    *yaml.Node // the `emits:` list; nil when the entry declares no reactions
	pos      Pos        // the entry
}

var rootKeys = []string{"evgen", "service", "go_package", "doc", "types", "events", "order_by", "consumes"}

// decodeFile turns one source into a file, or nil when it is not a YAML
// mapping at all.
func decodeFile(src Source, e *errs) *file {
	root := parseYAML(src, e)
	if root == nil {
		return nil
	}
	f := &file{nodes: nodes{file: src.Name, e: e}, types: map[string]*NamedType{}}
	f.svc = &Service{File: src.Name, Pos: f.pos(root)}
	m := f.known(root, "the contract", rootKeys...)
	f.formatVersion(root, m)
	f.serviceName(root, m)
	if en, ok := m["go_package"]; ok {
		f.goPackage = en.val
	}
	f.svc.Doc = f.doc(m, "the contract's doc")
	if en, ok := m["types"]; ok {
		f.decodeTypes(en.val)
	}
	if en, ok := m["events"]; ok {
		f.decodeEvents(en.val)
	}
	if en, ok := m["order_by"]; ok {
		f.decodeOrderBy(en.val)
	}
	if en, ok := m["consumes"]; ok {
		f.decodeConsumes(en.val)
	}
	return f
}

func (f *file) formatVersion(root *yaml.Node, m map[string]entry) {
	en, ok := m["evgen"]
	if !ok {
		f.errorf(root, "missing `evgen: %d`, the contract format version", FormatVersion)
		return
	}
	v, ok := f.integer(en.val, "evgen (the format version)")
	if ok && v != FormatVersion {
		f.errorf(en.val, "unknown format version %d: this evgen reads version %d", v, FormatVersion)
	}
}

func (f *file) serviceName(root *yaml.Node, m map[string]entry) {
	en, ok := m["service"]
	if !ok {
		f.errorf(root, "missing `service: <name>`, the name of the service that owns this contract")
		return
	}
	name, ok := f.text(en.val, "service")
	if !ok {
		return
	}
	f.svc.Name = name
	f.svc.Pos = f.pos(en.val)
	if !serviceNameRE.MatchString(name) {
		f.errorf(en.val, "bad service name %q: %s", clip(name), snakeHint(name, serviceNameRE))
	}
}

// doc reads an optional `doc:` entry.
func (f *file) doc(m map[string]entry, what string) string {
	en, ok := m["doc"]
	if !ok {
		return ""
	}
	s, _ := f.text(en.val, what)
	return s
}

// deprecated reads an optional `deprecated:` entry: false, true or a reason.
func (f *file) deprecated(m map[string]entry, what string) string {
	en, ok := m["deprecated"]
	if !ok {
		return ""
	}
	if !f.is(en.val, yaml.ScalarNode, what) {
		return ""
	}
	switch {
	case en.val.Tag == "!!bool" && en.val.Value == "true":
		return "deprecated"
	case en.val.Tag == "!!bool":
		return ""
	case en.val.Tag == "!!null" || en.val.Value == "":
		f.errorf(en.val, "%s must be true, false or a reason such as \"use UserEmailChangedV2\"", what)
		return ""
	}
	return en.val.Value
}
