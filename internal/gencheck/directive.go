package gencheck

import (
	"bufio"
	"bytes"
	"strings"
)

// Directives returns the arguments after `generate` of every
// //go:generate line in src that runs evgen generate, however it names
// evgen: `evgen`, `go run github.com/evgenhq/evgen/cmd/evgen`, or that path
// at a version (`...cmd/evgen@v0.1.0`). Arguments are split at spaces, as
// contract paths and service names have none.
func Directives(src []byte) [][]string {
	var out [][]string
	sc := bufio.NewScanner(bytes.NewReader(src))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "//go:generate ")
		if !ok {
			continue
		}
		words := strings.Fields(rest)
		for i := 0; i+1 < len(words); i++ {
			if isEvgen(words[i]) && words[i+1] == "generate" {
				out = append(out, words[i+2:])
				break
			}
		}
	}
	return out
}

// isEvgen reports whether word names the evgen command.
func isEvgen(word string) bool {
	word, _, _ = strings.Cut(word, "@")
	return word == "evgen" || strings.HasSuffix(word, "/cmd/evgen")
}
