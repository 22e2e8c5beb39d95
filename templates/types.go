package templates

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/evgenhq/evgen/schema"
)

// emitTypes renders types.evgen.go: the events, then the named types, each
// with its Validate and strict UnmarshalJSON.
func emitTypes(f *jen.File, p *schema.Package) error {
	emitPatterns(f, p)
	for _, d := range p.Events {
		if err := emitEvent(f, p, d); err != nil {
			return fmt.Errorf("event %s: %w", d.GoName, err)
		}
	}
	for _, d := range p.Types {
		var err error
		if d.Type.IsEnum() {
			emitEnum(f, d)
		} else {
			err = emitStruct(f, p, d.GoName, "v", d.Type.Fields, docComment(typeSummary(d), d.Type.Doc))
		}
		if err != nil {
			return fmt.Errorf("type %s: %w", d.GoName, err)
		}
	}
	return nil
}

// emitPatterns renders the package variables holding the fields'
// patterns, compiled once when the package loads rather than on every
// Validate. Load has compiled each already, so MustCompile cannot panic.
func emitPatterns(f *jen.File, p *schema.Package) {
	if len(p.Patterns) == 0 {
		return
	}
	var vars []jen.Code
	for _, d := range p.Patterns {
		vars = append(vars, jen.Id(d.GoName).Op("=").Qual(pkgRegexp, "MustCompile").Call(jen.Lit(d.Pattern)))
	}
	f.Comment("// The patterns of the contract's fields, compiled once.")
	f.Var().Defs(vars...)
	f.Line()
}

// typeSummary is the first sentence of a named type's doc comment.
func typeSummary(d *schema.TypeDecl) string {
	if d.Carried {
		return fmt.Sprintf("%s is the type %s of the %s contract, carried in by a consumed event.", d.GoName, d.Type.Name, d.Type.Service.Name)
	}
	return fmt.Sprintf("%s is a type of the %s contract.", d.GoName, d.Type.Service.Name)
}

// emitStruct renders a named struct type with its Validate and
// UnmarshalJSON; recv names the receiver in methods.
func emitStruct(f *jen.File, p *schema.Package, name, recv string, fields []*schema.Field, doc *jen.Statement) error {
	if err := emitStructDecl(f, p, name, fields, doc); err != nil {
		return err
	}
	f.Line()
	f.Comment("// Validate reports the first field of " + name + ", in contract order, that breaks the contract.")
	for _, m := range validateAndDecode(name, recv) {
		f.Add(m)
	}
	f.Line()
	if err := emitFields(f, p, name, recv, fields); err != nil {
		return err
	}
	f.Line()
	return nil
}

// emitStructDecl renders a struct type with its fields in contract order,
// tagged with their wire names.
func emitStructDecl(f *jen.File, p *schema.Package, name string, fields []*schema.Field, doc *jen.Statement) error {
	var decls []jen.Code
	for _, fd := range fields {
		t, err := fieldType(p, fd)
		if err != nil {
			return err
		}
		decls = append(decls, docComment(fd.Doc, deprecation(fd.Deprecated)).Id(fd.GoName).Add(t).Tag(jsonTag(fd)))
	}
	f.Add(doc.Type().Id(name).Struct(decls...))
	return nil
}

// oneLine is a function body kept on one line, for methods that only
// return a constant.
func oneLine(stmt jen.Code) *jen.Statement {
	return jen.Custom(jen.Options{Open: "{", Close: "}"}, stmt)
}

// lines is a bracketed list with one item a line.
func lines(open, close string, items []jen.Code) *jen.Statement {
	return jen.Custom(jen.Options{Open: open, Close: close, Separator: ",", Multi: true}, items...)
}
