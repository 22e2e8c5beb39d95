package choreo

import (
	"fmt"
	"strings"
)

// DOT renders g in Graphviz's DOT language, drawn as Mermaid draws it: a
// cluster per service, solid publishes, dashed consumes and bold
// "reacts" edges.
func DOT(g *Graph) string {
	var b strings.Builder
	b.WriteString("digraph choreography {\n")
	b.WriteString("    rankdir=LR;\n")
	b.WriteString("    node [fontname=\"Helvetica\"];\n")
	b.WriteString("    edge [fontname=\"Helvetica\"];\n")
	for _, s := range g.Services {
		fmt.Fprintf(&b, "    subgraph \"cluster_%s\" {\n", s.Name)
		fmt.Fprintf(&b, "        label=\"%s\";\n", s.Name)
		fmt.Fprintf(&b, "        \"%s\" [shape=box3d];\n", s.Name)
		for _, ev := range g.Events {
			if ev.Producer == s.Name {
				fmt.Fprintf(&b, "        \"%s\" [shape=box, style=rounded, label=\"%s\"];\n", ev.Type, ev.Name)
			}
		}
		b.WriteString("    }\n")
	}
	for _, e := range g.Edges {
		fmt.Fprintf(&b, "    \"%s\" -> \"%s\"%s;\n", e.From, e.To, dotStyle[e.Kind])
	}
	b.WriteString("}\n")
	return b.String()
}

var dotStyle = map[EdgeKind]string{
	Publishes:  "",
	Consumes:   " [style=dashed]",
	ReactsWith: " [style=bold, label=\"reacts\"]",
}
