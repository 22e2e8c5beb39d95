package schema

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// parseYAML checks that a source is a contract-sized text file holding one
// YAML document whose top level is a mapping, and returns that mapping.
// It reports what is wrong to e and returns nil otherwise.
func parseYAML(src Source, e *errs) *yaml.Node {
	at := Pos{File: src.Name, Line: 1, Col: 1}
	if len(src.Data) > MaxFileSize {
		e.add(at, "file is larger than the %d MiB limit for a contract file", MaxFileSize>>20)
		return nil
	}
	if pos, msg := binaryProblem(src); msg != "" {
		e.add(pos, "%s", msg)
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(src.Data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			e.add(at, "empty file: a contract starts with `evgen: 1` and `service: <name>`")
		} else {
			e.add(yamlErrorPos(src, err), "%s", yamlErrorMsg(src, err))
		}
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		e.add(Pos{File: src.Name, Line: max(extra.Line, 1), Col: 1},
			"a contract file holds one YAML document; remove the second document (after ---) or put it in its own file")
		return nil
	}
	return topMapping(src.Name, &doc, e)
}

// topMapping returns the document's top-level mapping.
func topMapping(file string, doc *yaml.Node, e *errs) *yaml.Node {
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		e.add(Pos{File: file, Line: root.Line, Col: root.Column},
			"empty file: a contract starts with `evgen: 1` and `service: <name>`")
		return nil
	}
	if root.Kind != yaml.MappingNode {
		e.add(Pos{File: file, Line: root.Line, Col: root.Column},
			"a contract is a YAML mapping (evgen: 1, service: ..., events: ...), not %s", describe(root))
		return nil
	}
	return root
}

// binaryProblem finds the first byte that cannot appear in a YAML text:
// invalid UTF-8 or a control character other than tab and line breaks.
func binaryProblem(src Source) (Pos, string) {
	line, col := 1, 1
	for i := 0; i < len(src.Data); {
		r, size := utf8.DecodeRune(src.Data[i:])
		at := Pos{File: src.Name, Line: line, Col: col}
		if r == utf8.RuneError && size <= 1 {
			return at, fmt.Sprintf("byte 0x%02x is not UTF-8: a contract is a UTF-8 text file", src.Data[i])
		}
		if isControl(r) {
			return at, fmt.Sprintf("control character %U is not allowed: a contract is a text file", r)
		}
		i += size
		col++
		if r == '\n' {
			line, col = line+1, 1
		}
	}
	return Pos{}, ""
}

// isControl reports the characters YAML 1.2 does not allow in a stream.
func isControl(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r' || r == 0x85:
		return false
	case r < 0x20 || r == 0x7f:
		return true
	case r >= 0x80 && r <= 0x9f:
		return true
	}
	return r == 0xfffe || r == 0xffff
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlErrorPos is where a yaml.v3 syntax error points. yaml.v3 gives a line
// but no column, and omits the line when it is the first one.
func yamlErrorPos(src Source, err error) Pos {
	if line, col := tabIndent(src.Data); line > 0 && isTabError(err) {
		return Pos{File: src.Name, Line: line, Col: col}
	}
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return Pos{File: src.Name, Line: n, Col: 1}
	}
	return Pos{File: src.Name, Line: 1, Col: 1}
}

// yamlErrorMsg is a yaml.v3 syntax error's message without its prefix.
func yamlErrorMsg(src Source, err error) string {
	if line, _ := tabIndent(src.Data); line > 0 && isTabError(err) {
		return "tab character in indentation: YAML indents with spaces only"
	}
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		msg = m[2]
	}
	return "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")
}

func isTabError(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "tab character") || strings.Contains(msg, "cannot start any token")
}

// tabIndent finds the first line indented with a tab, and the tab's column.
func tabIndent(data []byte) (line, col int) {
	for i, l := range bytes.Split(data, []byte("\n")) {
		indent := len(l) - len(bytes.TrimLeft(l, " \t"))
		if j := bytes.IndexByte(l[:indent], '\t'); j >= 0 {
			return i + 1, j + 1
		}
	}
	return 0, 0
}
