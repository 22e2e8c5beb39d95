package templates

import (
	"strings"

	"github.com/dave/jennifer/jen"
)

// docComment renders a doc comment of paragraphs, skipping empty ones. The
// result ends with a newline, ready for a declaration to be chained onto.
func docComment(paragraphs ...string) *jen.Statement {
	s := &jen.Statement{}
	for _, p := range paragraphs {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if len(*s) > 0 {
			s.Comment("//").Line()
		}
		for _, l := range strings.Split(p, "\n") {
			if l = strings.TrimRight(l, " \t\r"); l == "" {
				s.Comment("//").Line()
			} else {
				s.Comment("// " + l).Line()
			}
		}
	}
	return s
}

// deprecation is the "Deprecated:" paragraph Go's tools recognise, or ""
// when the contract does not deprecate.
func deprecation(text string) string {
	if text == "" {
		return ""
	}
	return "Deprecated: " + text
}
