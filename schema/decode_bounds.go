package schema

import (
	"gopkg.in/yaml.v3"
)

// boundKeys are the long-form field keys that bound a value.
var boundKeys = []string{"min_length", "max_length", "pattern", "min_items", "max_items"}

// boundRef is a field's bound keys as written, checked against the
// field's type once every type is resolved.
type boundRef struct {
	field *Field
	keys  []entry // the bound keys present, in boundKeys order
	what  string  // "field email of event UserRegistered"
}

// decodeBounds reads a long-form field's bounds into fd.Bounds, reporting
// negative numbers, empty maxima, a minimum above its maximum and a
// pattern that is not portable; whether they fit the type is checked by
// checkBounds.
func (f *file) decodeBounds(fd *Field, m map[string]entry, what string) {
	ref := boundRef{field: fd, what: what}
	b := &fd.Bounds
	counts := map[string]*int{"min_length": &b.MinLength, "max_length": &b.MaxLength, "min_items": &b.MinItems, "max_items": &b.MaxItems}
	for _, k := range boundKeys {
		en, ok := m[k]
		if !ok {
			continue
		}
		ref.keys = append(ref.keys, en)
		if k == "pattern" {
			f.decodePattern(b, en.val, what)
			continue
		}
		f.decodeCount(counts[k], en.val, what+": "+k, k[:3] == "max")
	}
	f.checkOrder(m, "min_length", "max_length", b.MinLength, b.MaxLength, what)
	f.checkOrder(m, "min_items", "max_items", b.MinItems, b.MaxItems, what)
	if len(ref.keys) > 0 {
		f.bounds = append(f.bounds, ref)
	}
}

// decodeCount reads a length or item count: a non-negative integer, at
// least 1 for a maximum, which would otherwise admit only empty values.
func (f *file) decodeCount(dst *int, y *yaml.Node, what string, isMax bool) {
	n, ok := f.integer(y, what)
	switch {
	case !ok:
	case n < 0:
		f.errorf(y, "%s must not be negative, not %d", what, n)
	case n == 0 && isMax:
		f.errorf(y, "%s must be at least 1: 0 would admit only empty values", what)
	default:
		*dst = n
	}
}

// decodePattern reads a `pattern:`, which must be portable (checkPattern).
func (f *file) decodePattern(b *Bounds, y *yaml.Node, what string) {
	p, ok := f.text(y, what+": pattern")
	if !ok {
		return
	}
	if err := checkPattern(p); err != nil {
		f.errorf(y, "%s: pattern %q %s", what, clip(p), err)
		return
	}
	b.Pattern = p
}

// checkOrder reports a minimum above its maximum, at the minimum.
func (f *file) checkOrder(m map[string]entry, minKey, maxKey string, lo, hi int, what string) {
	if hi > 0 && lo > hi {
		f.errorf(m[minKey].val, "%s: %s %d is above %s %d; no value could pass", what, minKey, lo, maxKey, hi)
	}
}

// checkBounds reports bounds on a type they do not apply to: lengths and
// patterns bound strings, item counts bound lists.
func (f *file) checkBounds() {
	for _, ref := range f.bounds {
		t := ref.field.Type
		if t == nil {
			continue // its type expression was reported
		}
		for _, en := range ref.keys {
			want := KindString
			if en.key.Value == "min_items" || en.key.Value == "max_items" {
				want = KindList
			}
			if t.Kind != want {
				f.errorf(en.key, "%s: %s applies to a %s field, not %s; remove it or change the type", ref.what, en.key.Value, kindNames[want], t)
			}
		}
	}
}
