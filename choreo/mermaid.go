package choreo

import (
	"fmt"
	"strings"
)

// Mermaid renders g as a Mermaid flowchart, as GitHub draws a ```mermaid
// block: one box per service holding the service and its events; a solid
// arrow from a service to each event it publishes, a dotted one from an
// event to each service that consumes it, and a thick one labelled
// "reacts" from a consumed event to each event its consumer declares it
// publishes in reaction.
func Mermaid(g *Graph) string {
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	for _, s := range g.Services {
		fmt.Fprintf(&b, "    subgraph box_%s [\"%s\"]\n", s.Name, s.Name)
		fmt.Fprintf(&b, "        %s[[\"%s\"]]\n", mermaidID(s.Name), s.Name)
		for _, ev := range g.Events {
			if ev.Producer == s.Name {
				fmt.Fprintf(&b, "        %s(\"%s\")\n", mermaidID(ev.Type), ev.Name)
			}
		}
		b.WriteString("    end\n")
	}
	for _, e := range g.Edges {
		fmt.Fprintf(&b, "    %s %s %s\n", mermaidID(e.From), mermaidArrow[e.Kind], mermaidID(e.To))
	}
	return b.String()
}

var mermaidArrow = map[EdgeKind]string{
	Publishes:  "-->",
	Consumes:   "-.->",
	ReactsWith: "==>|reacts|",
}

// mermaidID is a node's Mermaid ID: a prefix keeps a service named like a
// Mermaid keyword ("end") from ending a block, and an event type's dot,
// which Mermaid IDs cannot hold, becomes an underscore. Both stay unique:
// event names hold no underscore.
func mermaidID(id string) string {
	if svc, name, ok := strings.Cut(id, "."); ok {
		return "ev_" + svc + "_" + name
	}
	return "svc_" + id
}
