package schema

import "strconv"

// ConverterName is the Go interface a generated package declares when an
// older version of one of its events is no subset of the newest: the
// publisher's constructor takes one, so the compiler asks for every
// conversion the contract needs.
const ConverterName = "Converter"

// SubsetOf reports whether every field of ev is in newer, with the same
// type and optionality, so that ev's payload can be copied out of newer's
// without asking the user. Fields of newer that ev lacks are left out.
func (ev *Event) SubsetOf(newer *Event) bool {
	for _, fd := range ev.Fields {
		nf := fieldNamed(newer.Fields, fd.Name)
		if nf == nil || nf.Optional != fd.Optional || !sameType(fd.Type, nf.Type) {
			return false
		}
	}
	return true
}

// sameType reports whether a and b are the same resolved type.
func sameType(a, b *Type) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.Kind != b.Kind || a.Named != b.Named {
		return false
	}
	if a.Elem != nil || b.Elem != nil {
		return sameType(a.Elem, b.Elem)
	}
	return true
}

// NeedsConverter reports whether p publishes an older version that is no
// subset of its newest one.
func (p *Package) NeedsConverter() bool {
	for _, d := range p.Events {
		if d.Convert != "" {
			return true
		}
	}
	return false
}

// declareOlder declares the older versions of ev, after ev, as
// <Name>V<version>, and the Converter once, at the first older version
// that needs it.
func declareOlder(pkg *Package, ev *Event) []ownDecl {
	var decls []ownDecl
	for _, old := range ev.Older {
		d := &EventDecl{Event: old, GoName: ev.Name + "V" + strconv.Itoa(old.Version), Own: true}
		if !old.SubsetOf(ev) {
			d.Convert = d.GoName
			if !pkg.NeedsConverter() {
				decls = append(decls, ownDecl{ConverterName, "the generated " + ConverterName + " (for event " + old.label() + ")", old.Pos})
			}
		}
		pkg.Events = append(pkg.Events, d)
		decls = append(decls, ownDecl{d.GoName, "event " + old.label(), old.Pos})
	}
	return decls
}
