package schema

import (
	"fmt"
	"strings"
)

// packageName decides the generated package's import path and name: the
// last element of go_package, else <service>events. paths holds the
// go_package values seen so far in the set.
func (f *file) packageName(pkg *Package, paths map[string]*file) {
	pkg.Name = strings.ReplaceAll(f.svc.Name, "_", "") + "events"
	if f.goPackage == nil {
		return
	}
	path, ok := f.text(f.goPackage, "go_package")
	if !ok {
		return
	}
	if msg := importPathProblem(path); msg != "" {
		f.errorf(f.goPackage, "bad go_package %q: %s", clip(path), msg)
		return
	}
	name := path[strings.LastIndex(path, "/")+1:]
	if msg := goPackageNameProblem(name); msg != "" {
		f.errorf(f.goPackage, "bad go_package %q: its last element %q is the package name, and %s", clip(path), name, msg)
		return
	}
	if prev, dup := paths[path]; dup {
		f.errorf(f.goPackage, "go_package %q is also the package of service %s (%s); each service needs its own package",
			path, prev.svc.Name, prev.pos(prev.goPackage))
		return
	}
	paths[path] = f
	pkg.Name, pkg.ImportPath = name, path
}

// importPathProblem says why p is not a Go import path, or returns "".
// It follows the rules of golang.org/x/mod/module.CheckImportPath, which
// would be a dependency for twenty lines.
func importPathProblem(p string) string {
	if p == "" {
		return "an import path is not empty"
	}
	for _, elem := range strings.Split(p, "/") {
		if msg := pathElemProblem(elem); msg != "" {
			return msg
		}
	}
	return ""
}

func pathElemProblem(elem string) string {
	switch {
	case elem == "":
		return "an import path has no empty elements (leading, trailing or double slash)"
	case elem == "." || elem == "..":
		return "an import path has no . or .. elements"
	case strings.HasPrefix(elem, ".") || strings.HasSuffix(elem, "."):
		return fmt.Sprintf("element %q starts or ends with a dot", elem)
	}
	for _, r := range elem {
		if !isPathChar(r) {
			return fmt.Sprintf("character %q is not allowed in an import path (letters, digits and - . _ ~)", r)
		}
	}
	return ""
}

func isPathChar(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("-._~", r)
}
