package templates

import (
	"bytes"
	"go/format"
	"os"
	"path/filepath"
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
