package schema

// Limits that keep hostile or broken input from costing unbounded time or
// memory. Real contracts stay far below them.
const (
	// MaxFileSize is the largest contract file accepted, in bytes. A
	// hand-written contract is a few kilobytes; yaml.v3 holds a parsed file
	// in about forty times its size, so the limit also bounds memory.
	MaxFileSize = 1 << 20
	// MaxErrorsPerFile is how many problems are printed for one file; the
	// rest are counted in a last line. It keeps output readable when a
	// file is not a contract at all.
	MaxErrorsPerFile = 200
	// MaxTypeDepth is the deepest nesting of a type expression
	// (list<map<...>>) and of named struct types inside each other.
	MaxTypeDepth = 32
)
