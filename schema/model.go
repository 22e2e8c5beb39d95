package schema

import "fmt"

// Pos is a position in a contract file, 1-based.
type Pos struct {
	File string
	Line int
	Col  int
}

// String formats the position as error messages print it: path:line:col.
func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col) }

// Set is a loaded and validated contract set: every service of the files
// loaded together, with consumes resolved across them.
type Set struct {
	Services []*Service // sorted by Name
}

// Service is one contract file: the events a service owns and the events
// it consumes from others.
type Service struct {
	Name     string
	Doc      string
	File     string // path as given to Load
	Pos      Pos
	Types    []*NamedType // in file order
	Events   []*Event     // in file order
	Consumes []*Consumed  // sorted by producer name, then the order in the file
	Package  *Package     // what is generated for this service
	// Unresolved holds the consumes entries naming a service or event the
	// set lacks, or a version the producer does not publish, in file order; only LoadOptions.KeepUnresolved fills it,
	// as Load reports such entries as errors.
	Unresolved []*Unresolved
}

// Unresolved is a consumes entry whose producer or event is not in the
// set, or whose `version:` its producer does not publish.
type Unresolved struct {
	Producer string // the service the entry names
	Event    string // the event name it names
	Version  int    // the entry's `version:`; 0 when it names none
	Pos      Pos
}

// Event is an event a service owns.
type Event struct {
	Service *Service
	Name    string // UpperCamelCase, as in the contract
	Type    string // Service.Name + "." + Name, the wire event type
	Version int    // at least 1
	Key     *Field // nil when the contract names no key
	// OrderBy is the required integer field that orders the events of Key
	// per key value (the contract's `order_by:`), so that a consumer can
	// tell an older event from a newer one; nil when the contract names none.
	OrderBy    *Field
	Doc        string
	Deprecated string // "" when not deprecated; the contract's text, or "deprecated" for `true`
	Snapshot   bool   // `snapshot: true`: the event carries the key entity's full state (needs a key), so producers can re-announce it
	Fields     []*Field
	Pos        Pos
	// Older are the older versions the producer still publishes beside
	// this one (`older_versions:`), lowest first; each shares Service,
	// Name and Type, and has its own Version, Fields, Key and Doc. Latest
	// is nil here and, on each older version, the event it is older than.
	Older  []*Event
	Latest *Event
}

// Versions is the event at every version its producer publishes, newest
// first: the event itself, then its older versions.
func (e *Event) Versions() []*Event {
	out := []*Event{e}
	for i := len(e.Older) - 1; i >= 0; i-- {
		out = append(out, e.Older[i])
	}
	return out
}

// Field is a field of an event or of a struct type.
type Field struct {
	Name       string // lower_snake_case; also the JSON name on the wire
	GoName     string // Go's initialisms applied: user_id -> UserID
	Type       *Type
	Optional   bool
	Doc        string
	Deprecated string
	Bounds     Bounds
	Pos        Pos
}

// Bounds are the limits a field puts on its value, beyond its type: the
// length of a string (`min_length:`, `max_length:`, in Unicode code
// points, as JSON Schema counts them), a regular expression it must match
// (`pattern:`, unanchored, in the subset RE2 and ECMA-262 agree on), and
// the number of items of a list (`min_items:`, `max_items:`). A zero
// number or an empty pattern bounds nothing. Generated Validate and
// UnmarshalJSON check them, so a publisher refuses an event out of bounds
// and a consumer dead-letters one.
type Bounds struct {
	MinLength int
	MaxLength int
	Pattern   string
	MinItems  int
	MaxItems  int
}

// IsZero reports whether b bounds nothing.
func (b Bounds) IsZero() bool { return b == Bounds{} }

// Kind is the shape of a Type.
type Kind int

// The kinds of types, built-in first.
const (
	KindString Kind = iota
	KindBool
	KindInt32
	KindInt64
	KindFloat64
	KindDecimal
	KindUUID
	KindTimestamp
	KindDate
	KindDuration
	KindBytes
	KindList  // list<Elem>
	KindMap   // map<Elem>, string keys
	KindNamed // a type from a `types:` section
)

// Type is a resolved type expression.
type Type struct {
	Kind  Kind
	Elem  *Type      // KindList and KindMap
	Named *NamedType // KindNamed
}

// NamedType is a struct or enum from a service's `types:` section.
type NamedType struct {
	Service *Service
	Name    string // UpperCamelCase, as in the contract
	Doc     string
	Enum    []*EnumValue // set for an enum
	Fields  []*Field     // set for a struct
	Pos     Pos
}

// IsEnum reports whether the type is an enum rather than a struct.
func (n *NamedType) IsEnum() bool { return n.Enum != nil }

// EnumValue is one value of an enum.
type EnumValue struct {
	Value    string // lower_snake, the wire value
	GoSuffix string // UpperCamelCase: in_progress -> InProgress; the constant is the type's Go name + GoSuffix
	Pos      Pos
}

// Consumed is an event a service handles, owned by another service.
type Consumed struct {
	Event     *Event // the producer's event
	LocalName string // the event's name in the consumer: Event.Name, or the contract's `as`
	// Emits are the consumer's own events that its handler publishes in
	// reaction (`emits:`), in the contract's order. EmitsDeclared is false
	// when the entry has no `emits:`: its reactions are not declared, and
	// nothing is checked. `emits: []` declares that the handler publishes
	// nothing.
	Emits         []*Event
	EmitsDeclared bool
	Pos           Pos
}

// Package is everything generated for one service, with every Go name
// decided and unique within the package. Emitters read names from here and
// never convert case themselves.
type Package struct {
	Service    *Service
	Name       string          // Go package name: last element of go_package, else <service>events
	ImportPath string          // go_package; "" when the contract gives none
	Events     []*EventDecl    // own events in file order, each followed by its older versions, lowest first; then consumed ones as in Service.Consumes
	Types      []*TypeDecl     // own types in file order, then types carried in by consumed events, sorted by producer then name
	Producers  []*ProducerDecl // the services consumed from, sorted by name
	// Patterns are the distinct `pattern:`s of the fields of Events and
	// Types, in order of first use, each compiled once into a package
	// variable.
	Patterns []*PatternDecl
}

// PatternDecl is one regular expression a generated package compiles
// once, at package level, for the fields that bound their values by it.
type PatternDecl struct {
	Pattern string
	GoName  string // pattern1, pattern2, ...: unexported, so no contract name can collide with it
}

// PatternName is the Go name of the package variable holding pattern re.
// It panics if no field of p uses re, which Load rules out.
func (p *Package) PatternName(re string) string {
	for _, d := range p.Patterns {
		if d.Pattern == re {
			return d.GoName
		}
	}
	panic(fmt.Sprintf("schema: package %s compiles no pattern %q", p.Name, re))
}

// EventDecl is one event type declared in a generated package.
type EventDecl struct {
	Event  *Event
	GoName string // own events: Event.Name, older versions <Name>V<version>; consumed: Consumed.LocalName
	Own    bool
	// Convert, on an own older version that is no SubsetOf its newest,
	// is the Converter method that makes it from the newest; "" when the
	// publisher copies the fields itself.
	Convert string
}

// TypeDecl is one named type declared in a generated package: the
// service's own, or carried in from a producer by a consumed event.
type TypeDecl struct {
	Type    *NamedType
	GoName  string
	Carried bool
}

// TypeName is the Go name of n in package p. It panics if p does not
// declare n, which the validator rules out.
func (p *Package) TypeName(n *NamedType) string {
	for _, d := range p.Types {
		if d.Type == n {
			return d.GoName
		}
	}
	panic(fmt.Sprintf("schema: package %s does not declare type %s.%s", p.Name, n.Service.Name, n.Name))
}
