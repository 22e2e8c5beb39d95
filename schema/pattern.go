package schema

import (
	"fmt"
	"regexp"
	"strings"
)

// checkPattern reports why p is no `pattern:` of a contract: it must
// compile with Go's regexp (RE2), which generated code checks with, and
// mean the same in ECMA-262, which JSON Schema validators in other
// languages use. RE2 already rejects what only ECMA-262 has (lookaround,
// backreferences, \u); this rejects what only RE2 has, or what the two
// read differently.
func checkPattern(p string) error {
	if _, err := regexp.Compile(p); err != nil {
		return fmt.Errorf("does not compile: %w", err)
	}
	inClass := false
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == '\\' && i+1 < len(p):
			if err := portableEscape(p[i+1:], inClass); err != nil {
				return err
			}
			i++
		case c == '[' && !inClass:
			inClass = true
			if rest := strings.TrimPrefix(p[i+1:], "^"); strings.HasPrefix(rest, "]") {
				return fmt.Errorf("starts a class with ], which RE2 reads as a literal ] and ECMA-262 as the end of an empty class; write \\] instead")
			}
		case c == '[' && inClass && i+1 < len(p) && p[i+1] == ':':
			return fmt.Errorf("uses a POSIX class [:name:], which ECMA-262 lacks; list the characters, such as [a-zA-Z]")
		case c == ']' && inClass:
			inClass = false
		case c == '(' && !inClass && i+1 < len(p) && p[i+1] == '?' && (i+2 >= len(p) || p[i+2] != ':'):
			return fmt.Errorf("uses (?...) flags or named groups, which RE2 and ECMA-262 spell differently; only (?:...) groups are portable")
		}
	}
	return nil
}

// portableEscape checks the escape at the start of rest (after the
// backslash).
func portableEscape(rest string, inClass bool) error {
	switch c := rest[0]; {
	case c >= '0' && c <= '9':
		return fmt.Errorf("uses \\%c, an octal code in RE2 and a backreference in ECMA-262; write the character itself", c)
	case c == 's' || c == 'S':
		return fmt.Errorf("uses \\%c, which matches Unicode spaces and \\v in ECMA-262 but not in RE2; write the class out, such as [ \\t\\r\\n]", c)
	case c == 'b' && inClass:
		return fmt.Errorf("uses \\b inside [...], a backspace in ECMA-262 and an error or word boundary in RE2; write \\x08")
	case c == 'x' && len(rest) > 1 && rest[1] == '{':
		return fmt.Errorf("uses \\x{...}, which ECMA-262 lacks; write \\xHH for codes up to FF")
	case isLetter(c) && !portableLetterEscapes[c]:
		return fmt.Errorf("uses \\%c, which RE2 and ECMA-262 do not share; the portable escapes are \\d \\D \\w \\W \\b \\B \\t \\n \\r \\f \\v \\xHH and \\ before punctuation", c)
	}
	return nil
}

// portableLetterEscapes are the backslash-letter escapes RE2 and
// ECMA-262 read alike.
var portableLetterEscapes = map[byte]bool{
	'd': true, 'D': true, 'w': true, 'W': true, 'b': true, 'B': true,
	't': true, 'n': true, 'r': true, 'f': true, 'v': true, 'x': true,
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
