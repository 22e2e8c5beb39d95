package schema

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad loads two fuzzed files as one set. It must never panic; it
// returns either a consistent model or *Errors whose every position lies
// in one of the files. The seeds are the testdata contracts, in pairs so
// that consumes across files is exercised.
func FuzzLoad(f *testing.F) {
	for _, dir := range seedDirs(f) {
		files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		var data [2][]byte
		for i := 0; i < len(files) && i < 2; i++ {
			b, err := os.ReadFile(files[i])
			if err != nil {
				f.Fatal(err)
			}
			data[i] = b
		}
		f.Add(data[0], data[1])
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		set, err := LoadSources(Source{Name: "a.yaml", Data: a}, Source{Name: "b.yaml", Data: b})
		if err != nil {
			checkErrors(t, err)
			return
		}
		checkModel(t, set)
	})
}

func seedDirs(f *testing.F) []string {
	f.Helper()
	dirs, err := filepath.Glob("testdata/*")
	if err != nil {
		f.Fatal(err)
	}
	return dirs
}

// checkErrors asserts err is a sorted *Errors with positions in the set.
func checkErrors(t *testing.T, err error) {
	t.Helper()
	var errs *Errors
	if !errors.As(err, &errs) || len(*errs) == 0 {
		t.Fatalf("err = %v, want non-empty *Errors", err)
	}
	for i, e := range *errs {
		if e.Pos.File != "a.yaml" && e.Pos.File != "b.yaml" || e.Pos.Line < 1 || e.Pos.Col < 1 || e.Msg == "" {
			t.Fatalf("bad error %q", e.Error())
		}
		if i > 0 && less(e, (*errs)[i-1]) {
			t.Fatalf("errors not sorted: %q before %q", (*errs)[i-1].Error(), e.Error())
		}
	}
}

// checkModel asserts what the generator relies on: every type resolved,
// every Go name in a package unique, every named type a package's events
// use declared in it.
func checkModel(t *testing.T, set *Set) {
	t.Helper()
	for _, s := range set.Services {
		p := s.Package
		if p == nil || p.Name == "" {
			t.Fatalf("service %s has no package", s.Name)
		}
		names := map[string]bool{}
		for _, n := range generatedNames {
			names[strings.ToLower(n)] = true
		}
		for _, d := range p.Events {
			unique(t, names, d.GoName)
			checkFields(t, p, d.Event.Fields)
		}
		for _, d := range p.Types {
			unique(t, names, d.GoName)
			for _, v := range d.Type.Enum {
				unique(t, names, d.GoName+v.GoSuffix)
			}
			checkFields(t, p, d.Type.Fields)
		}
	}
}

func unique(t *testing.T, names map[string]bool, name string) {
	t.Helper()
	if names[strings.ToLower(name)] {
		t.Fatalf("Go name %s declared twice", name)
	}
	names[strings.ToLower(name)] = true
}

func checkFields(t *testing.T, p *Package, fields []*Field) {
	t.Helper()
	for _, fd := range fields {
		if fd.Type == nil || fd.GoName == "" {
			t.Fatalf("field %s unresolved", fd.Name)
		}
		if n := namedIn(fd.Type); n != nil {
			p.TypeName(n) // panics if the package lacks the type
		}
	}
}

func namedIn(t *Type) *NamedType {
	for t.Kind == KindList || t.Kind == KindMap {
		t = t.Elem
	}
	return t.Named
}
