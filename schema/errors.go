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
	out := Errors{c.list[0]}
	for _, e := range c.list[1:] {
		if last := out[len(out)-1]; *last != *e {
			out = append(out, e)
		}
	}
	return &out
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
