package schema

import (
	"strings"
)

// edge is a field of a struct type whose type mentions another struct type.
type edge struct {
	field *Field
	to    *NamedType
}

// frame is one step of the depth-first search in walkTypes.
type frame struct {
	t    *NamedType
	next int    // index of the next edge to follow
	via  *Field // the field that led here; nil at a root
	out  []edge
}

// walkTypes searches the struct types depth first from each root in order,
// with an explicit stack so that deep nesting cannot exhaust the Go stack.
// back is called for an edge to a type on the stack (a cycle), done when a
// type's edges are all followed.
func walkTypes(roots []*NamedType, edges func(*NamedType) []edge, back func([]frame, edge), done func(*NamedType)) {
	const onStack, finished = 1, 2
	state := map[*NamedType]int{}
	for _, root := range roots {
		if state[root] != 0 {
			continue
		}
		state[root] = onStack
		stack := []frame{{t: root, out: edges(root)}}
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			if top.next == len(top.out) {
				state[top.t] = finished
				done(top.t)
				stack = stack[:len(stack)-1]
				continue
			}
			e := top.out[top.next]
			top.next++
			switch state[e.to] {
			case 0:
				state[e.to] = onStack
				stack = append(stack, frame{t: e.to, via: e.field, out: edges(e.to)})
			case onStack:
				back(stack, e)
			}
		}
	}
}

// requiredEdges are the fields that hold a struct directly: neither
// optional nor inside a list or map. A cycle of these has infinite size.
func requiredEdges(t *NamedType) []edge {
	var out []edge
	for _, fd := range t.Fields {
		if !fd.Optional && fd.Type != nil && fd.Type.Kind == KindNamed && !fd.Type.Named.IsEnum() {
			out = append(out, edge{fd, fd.Type.Named})
		}
	}
	return out
}

// nestingEdges are all fields that mention a struct type, through any list
// or map.
func nestingEdges(t *NamedType) []edge {
	var out []edge
	for _, fd := range t.Fields {
		if n := structIn(fd.Type); n != nil {
			out = append(out, edge{fd, n})
		}
	}
	return out
}

// structIn is the struct type a type expression mentions, if any.
func structIn(t *Type) *NamedType {
	for t != nil && (t.Kind == KindList || t.Kind == KindMap) {
		t = t.Elem
	}
	if t == nil || t.Kind != KindNamed || t.Named.IsEnum() {
		return nil
	}
	return t.Named
}

// checkCycles reports struct types that contain themselves through
// required fields.
func (f *file) checkCycles() {
	walkTypes(f.svc.Types, requiredEdges, func(stack []frame, e edge) {
		var path []string
		start := len(stack) - 1
		for stack[start].t != e.to {
			start--
		}
		for i := start; i < len(stack); i++ {
			leave := e.field
			if i+1 < len(stack) {
				leave = stack[i+1].via
			}
			path = append(path, stack[i].t.Name+"."+leave.Name)
		}
		f.e.add(e.field.Pos, "type %s contains itself through required fields (%s -> %s), so it would have infinite size; make one of these fields optional",
			e.to.Name, strings.Join(path, " -> "), e.to.Name)
	}, func(*NamedType) {})
}

// checkDepth reports struct types nested more than MaxTypeDepth deep. Only
// the outermost type of a too-deep chain is reported.
func (f *file) checkDepth() {
	depth := map[*NamedType]int{}
	walkTypes(f.svc.Types, nestingEdges, func([]frame, edge) {}, func(t *NamedType) {
		d := 0
		for _, e := range nestingEdges(t) {
			d = max(d, depth[e.to])
		}
		depth[t] = d + 1
	})
	covered := map[*NamedType]bool{}
	var deep []*NamedType
	for _, t := range f.svc.Types {
		if depth[t] > MaxTypeDepth {
			deep = append(deep, t)
			for _, e := range nestingEdges(t) {
				covered[e.to] = true
			}
		}
	}
	for _, t := range deep {
		if !covered[t] || t == deep[0] && allCovered(deep, covered) {
			f.e.add(t.Pos, "type %s nests %d struct types deep (limit %d); flatten it", t.Name, depth[t], MaxTypeDepth)
		}
	}
}

func allCovered(ts []*NamedType, covered map[*NamedType]bool) bool {
	for _, t := range ts {
		if !covered[t] {
			return false
		}
	}
	return true
}
