package templates

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"testing"
)

// TestSupportIsSelfContained checks what copying support.go into every
// generated package relies on: it imports only the standard library and
// declares only unexported names, so it never collides with a contract's
// (exported) events and types.
func TestSupportIsSelfContained(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "support.go", supportSource, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		if strings.Contains(strings.Split(path, "/")[0], ".") {
			t.Errorf("support.go imports %s, not in the standard library", path)
		}
	}
	for _, name := range topLevelNames(f) {
		if ast.IsExported(name) {
			t.Errorf("support.go declares the exported %s", name)
		}
	}
}

// topLevelNames lists the package-level identifiers f declares.
func topLevelNames(f *ast.File) []string {
	var names []string
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil {
				names = append(names, d.Name.Name)
			}
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					names = append(names, s.Name.Name)
				case *ast.ValueSpec:
					for _, n := range s.Names {
						names = append(names, n.Name)
					}
				}
			}
		}
	}
	return names
}
