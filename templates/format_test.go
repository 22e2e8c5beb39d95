package templates

import (
	"bytes"
	"fmt"
	"go/format"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evgenhq/evgen/schema"
)

// TestPiecesFormatLikeWholeFile checks that formatting a file in pieces,
// cut at every point splitSource may cut, gives what go/format gives for
// the whole file: for every file of every golden case, of the synthetic
// benchmark set, and of sources written to meet the cases that could
// break it (blank lines inside raw strings, comments and brackets;
// comments between declarations; alignment across adjacent one-line
// declarations).
func TestPiecesFormatLikeWholeFile(t *testing.T) {
	for name, src := range testSources(t) {
		t.Run(name, func(t *testing.T) {
			want, err := format.Source(src)
			if err != nil {
				t.Fatalf("go/format: %v", err)
			}
			pieces := splitSource(src, 1)
			var formatted [][]byte
			for i, p := range pieces {
				out, err := formatPiece(p, i == 0)
				if err != nil {
					t.Fatalf("piece %q: %v", p, err)
				}
				formatted = append(formatted, out)
			}
			if got := joinFormatted(formatted); !bytes.Equal(got, want) {
				t.Errorf("formatted in %d pieces differs from the whole file:\n%s", len(pieces), firstDiff(want, got))
			}
		})
	}
}

// testSources is the unformatted source of every file of the golden
// cases and a small synthetic set, and of hand-written tricky sources.
func testSources(t *testing.T) map[string][]byte {
	t.Helper()
	srcs := map[string][]byte{}
	cases, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		set, err := schema.Load(filepath.Join("testdata", c.Name()))
		if err != nil {
			t.Fatalf("load %s: %v", c.Name(), err)
		}
		addSources(t, srcs, c.Name(), set)
	}
	addSources(t, srcs, "synthetic", syntheticSet(t, 3, 30))
	for name, src := range trickySources {
		srcs["tricky/"+name] = []byte(src)
	}
	return srcs
}

func addSources(t *testing.T, srcs map[string][]byte, name string, set *schema.Set) {
	t.Helper()
	for _, svc := range set.Services {
		header := header(svc, Options{})
		for _, e := range emitters {
			if !e.cond(svc.Package) {
				continue
			}
			src, err := source(e.emit, svc.Package, header)
			if err != nil {
				t.Fatalf("%s/%s/%s: %v", name, svc.Name, e.file, err)
			}
			srcs[name+"/"+svc.Name+"/"+e.file] = src
		}
	}
}

var trickySources = map[string]string{
	"raw string": "package p\n\nimport \"fmt\"\n\nvar s = `a\n\nfunc f() {}\n\n`\n\nfunc g() { fmt.Println(s) }\n",
	"comments":   "// header\n\npackage p\n\n// free\n\n// doc of f\nfunc f() {} // trailing\n\n/* block\n\nstill */\n\nfunc g() {\n\n// inside\n\n}\n\n// last\n",
	"brackets":   "package p\n\nvar (\na = 1\n\nb = 2\n)\n\nvar f = func() {\nx := 1\n\n_ = x\n}\n\ntype T struct {\nA int\n\nBBBB string\n}\n",
	"alignment":  "package p\n\nfunc (T) A() string { return \"a\" }\nfunc (t *T) LongName() string { return \"b\" }\n\nfunc (T) C() int { return 1 }\nfunc (tt T) D() int { return 2 }\n\ntype T struct{}\n",
	"imports":    "package p\n\nimport \"strings\"\n\nimport (\n\"fmt\"\n\"bytes\"\n)\n\nvar _ = fmt.Sprint\n\nvar _ = bytes.Equal\n\nvar _ = strings.Cut\n",
	"semicolons": "package p\n\nvar a = 1;\n\nvar b = 2; var c = 3\n\nfunc f() { return };\n\nconst d = 4\n",
}

// TestFormatFiles checks formatFiles on files large enough to be cut:
// the pieces joined, a file whose later piece the printer changes beyond
// its own lines (a misplaced build constraint, moved to the top) formatted
// whole, an invalid file reported, and a nil file skipped.
func TestFormatFiles(t *testing.T) {
	var decls bytes.Buffer
	for i := range 2000 {
		fmt.Fprintf(&decls, "func f%d() int { return %d }\nfunc (T) m%d() string {\nreturn \"x\"\n}\n\n", i, i, i)
	}
	large := "package p\n\ntype T struct{}\n\n" + decls.String()
	srcs := [][]byte{
		[]byte(large),
		[]byte(large + "// +build linux\n\nvar x = 1\n"),
		[]byte(large + "func broken( {\n"),
		nil,
	}
	if n := len(splitSource(srcs[0], pieceSize)); n < 4 {
		t.Fatalf("the large file is cut into %d pieces, want several", n)
	}
	got, errs := formatFiles(srcs)
	for i, src := range srcs[:2] {
		want, err := format.Source(src)
		if err != nil {
			t.Fatal(err)
		}
		if errs[i] != nil || !bytes.Equal(got[i], want) {
			t.Errorf("file %d: error %v, differs from go/format: %v", i, errs[i], !bytes.Equal(got[i], want))
		}
	}
	if errs[2] == nil || !strings.Contains(errs[2].Error(), "an emitter wrote invalid Go") {
		t.Errorf("invalid file: error %v, want one saying an emitter wrote invalid Go", errs[2])
	}
	if got[3] != nil || errs[3] != nil {
		t.Errorf("nil file: %q, %v; want nothing", got[3], errs[3])
	}
}
