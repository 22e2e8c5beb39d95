package schema

// Limits that keep hostile or broken input from costing unbounded time or
// memory. Real contracts stay far below them.
const (
	// MaxFileSize is the largest contract file accepted, in bytes.
	MaxFileSize = 10 << 20
	// MaxTypeDepth is the deepest nesting of a type expression
	// (list<map<...>>) and of named struct types inside each other.
	MaxTypeDepth = 32
)
