package schema

import (
	"fmt"
	"slices"
	"strings"
)

// kindNames are the contract names of the built-in kinds.
var kindNames = [...]string{
	KindString: "string", KindBool: "bool", KindInt32: "int32", KindInt64: "int64",
	KindFloat64: "float64", KindDecimal: "decimal", KindUUID: "uuid",
	KindTimestamp: "timestamp", KindDate: "date", KindDuration: "duration", KindBytes: "bytes",
	KindList: "list", KindMap: "map", KindNamed: "named",
}

// builtins are the built-in scalar types by their contract names.
var builtins = map[string]Kind{}

func init() {
	for k, name := range kindNames[:KindList] {
		builtins[name] = Kind(k)
	}
}

// builtinNames lists the built-in type names in the order the docs give them.
var builtinNames = []string{"string", "bool", "int32", "int64", "float64", "decimal",
	"uuid", "timestamp", "date", "duration", "bytes", "list", "map"}

// otherSpellings are type names other languages use, with the contract's
// spelling, for suggestions that edit distance would not find.
var otherSpellings = map[string]string{
	"int": "int64", "integer": "int64", "long": "int64", "float": "float64",
	"double": "float64", "number": "float64", "boolean": "bool", "str": "string",
	"text": "string", "datetime": "timestamp", "time": "timestamp", "instant": "timestamp",
	"binary": "bytes", "blob": "bytes", "money": "decimal", "numeric": "decimal",
	"array": "list<T>", "slice": "list<T>", "dict": "map<T>", "object": "map<T>",
}

// exprParser parses one type expression: a name, list<T> or map<T>.
type exprParser struct {
	src   string
	pos   int
	types map[string]*NamedType // the file's named types
}

// parseTypeExpr resolves a type expression against a file's named types.
// The error says what is wrong and what would be right.
func parseTypeExpr(src string, types map[string]*NamedType) (*Type, error) {
	p := &exprParser{src: src, types: types}
	t, err := p.parse(0)
	if err != nil {
		return nil, err
	}
	if p.skipSpace(); p.pos < len(p.src) {
		return nil, fmt.Errorf("unexpected %q after the type in %q", clip(p.src[p.pos:]), clip(src))
	}
	return t, nil
}

func (p *exprParser) parse(depth int) (*Type, error) {
	if depth >= MaxTypeDepth {
		return nil, fmt.Errorf("type expression nests deeper than %d levels", MaxTypeDepth)
	}
	name := p.ident()
	if name == "" {
		return nil, p.missing()
	}
	if name != "list" && name != "map" {
		if p.peek() == '<' {
			return nil, fmt.Errorf("%s takes no type argument; only list<T> and map<T> do", name)
		}
		return p.named(name)
	}
	return p.container(name, depth)
}

// container parses the <T> of list<T> or map<T>.
func (p *exprParser) container(name string, depth int) (*Type, error) {
	if p.peek() != '<' {
		return nil, fmt.Errorf("%s needs an element type, such as %s<string>", name, name)
	}
	p.pos++
	if p.peek() == '>' {
		return nil, fmt.Errorf("%s<> needs an element type, such as %s<string>", name, name)
	}
	elem, err := p.parse(depth + 1)
	if err != nil {
		return nil, err
	}
	switch p.peek() {
	case '>':
		p.pos++
	case ',':
		return nil, p.twoArgs(name)
	default:
		return nil, fmt.Errorf("%s<...> is missing its closing \">\"", name)
	}
	kind := KindList
	if name == "map" {
		kind = KindMap
	}
	return &Type{Kind: kind, Elem: elem}, nil
}

// twoArgs explains that list and map take one type argument.
func (p *exprParser) twoArgs(name string) error {
	if name == "list" {
		return fmt.Errorf("list takes one element type, such as list<string>")
	}
	p.pos++
	second := p.ident()
	if second == "" {
		second = "string"
	}
	return fmt.Errorf("map keys are always strings, so map takes only the value type: write map<%s>", second)
}

// named resolves a built-in or named type.
func (p *exprParser) named(name string) (*Type, error) {
	if k, ok := builtins[name]; ok {
		return &Type{Kind: k}, nil
	}
	if n, ok := p.types[name]; ok {
		return &Type{Kind: KindNamed, Named: n}, nil
	}
	candidates := append([]string{}, builtinNames...)
	for n := range p.types {
		candidates = append(candidates, n)
	}
	slices.Sort(candidates[len(builtinNames):])
	hint := didYouMean(name, candidates)
	if alt, ok := otherSpellings[strings.ToLower(name)]; ok && hint == "" {
		hint = fmt.Sprintf(" (did you mean %q?)", alt)
	}
	return nil, fmt.Errorf("unknown type %q%s", clip(name), hint)
}

// missing explains a type expression with no name where one is needed.
func (p *exprParser) missing() error {
	if p.pos >= len(p.src) {
		if p.pos == 0 {
			return fmt.Errorf("empty type: write one, such as string")
		}
		return fmt.Errorf("type expression %q ends early", clip(p.src))
	}
	return fmt.Errorf("unexpected %q in type expression %q", p.src[p.pos:p.pos+1], clip(p.src))
}

// ident reads a name: letters, digits and underscores.
func (p *exprParser) ident() string {
	p.skipSpace()
	start := p.pos
	for p.pos < len(p.src) && isIdentByte(p.src[p.pos]) {
		p.pos++
	}
	return p.src[start:p.pos]
}

func (p *exprParser) peek() byte {
	p.skipSpace()
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}

func (p *exprParser) skipSpace() {
	for p.pos < len(p.src) && p.src[p.pos] == ' ' {
		p.pos++
	}
}

func isIdentByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// String writes the type as a contract would: list<map<Plan>>.
func (t *Type) String() string {
	switch t.Kind {
	case KindList:
		return "list<" + t.Elem.String() + ">"
	case KindMap:
		return "map<" + t.Elem.String() + ">"
	case KindNamed:
		return t.Named.Name
	}
	return kindNames[t.Kind]
}
