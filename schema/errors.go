package schema

import (
	"fmt"
	"sort"
	"strings"
)

// Error is one problem in a contract, at the position of the YAML node
// that causes it.
type Error struct {
	Pos Pos
	Msg string
}

// Error formats the problem as `path:line:col: message`.
func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// Errors is every problem found in a contract set, sorted by file then
// position. Load returns a *Errors when the set is invalid; use errors.As
// with a *Errors target to tell it from an I/O error.
type Errors []*Error

// Error prints one problem a line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// errs collects problems while a set is loaded.
type errs struct {
	list Errors
}

// add records a problem at pos.
func (c *errs) add(pos Pos, format string, args ...any) {
	c.list = append(c.list, &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

// result returns the sorted, de-duplicated problems, or nil when there are none.
func (c *errs) result() error {
	if len(c.list) == 0 {
		return nil
	}
	sort.SliceStable(c.list, func(i, j int) bool { return less(c.list[i], c.list[j]) })
	var out Errors
	perFile, dropped := 0, 0
	for i, e := range c.list {
		if i > 0 && *e == *c.list[i-1] {
			continue
		}
		if i > 0 && e.Pos.File != c.list[i-1].Pos.File {
			out, perFile, dropped = tooMany(out, dropped), 0, 0
		}
		if perFile++; perFile > MaxErrorsPerFile {
			dropped++
			continue
		}
		out = append(out, e)
	}
	out = tooMany(out, dropped)
	return &out
}

// tooMany ends a file's problems with a count of those left out.
func tooMany(out Errors, dropped int) Errors {
	if dropped == 0 {
		return out
	}
	last := out[len(out)-1]
	return append(out, &Error{Pos: last.Pos, Msg: fmt.Sprintf("too many errors: %d more in this file; fix these first", dropped)})
}

func less(a, b *Error) bool {
	if a.Pos.File != b.Pos.File {
		return a.Pos.File < b.Pos.File
	}
	if a.Pos.Line != b.Pos.Line {
		return a.Pos.Line < b.Pos.Line
	}
	if a.Pos.Col != b.Pos.Col {
		return a.Pos.Col < b.Pos.Col
	}
	return a.Msg < b.Msg
}
