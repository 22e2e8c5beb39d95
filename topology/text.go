package topology

import (
	"fmt"
	"strings"

	"github.com/evgenhq/evgen/runtime/service"
)

// Plan is s's topology as the runtime's own TopologyPlan.
func (s Service) Plan() service.TopologyPlan {
	p := service.TopologyPlan{Exchanges: s.Exchanges, Bindings: s.Bindings}
	for _, q := range s.Queues {
		p.Queues = append(p.Queues, q.QueueSpec)
	}
	return p
}

// Text renders services for people: per service, what it declares (as
// service.TopologyPlan.String says it) and its user's permissions, each
// name with the reasons the runtime needs it; then the operators' users.
func Text(services []Service, operators ...Operator) string {
	var b strings.Builder
	for i, s := range services {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "service %s, broker user %q\n", s.Name, s.User)
		for _, line := range strings.SplitAfter(s.Plan().String(), "\n") {
			if line != "" {
				b.WriteString("  " + line)
			}
		}
		for _, op := range s.Permissions.ops() {
			writePermission(&b, op.name, op.grants)
		}
		for _, o := range s.Overreach {
			fmt.Fprintf(&b, "  beyond need: %s\n", o)
		}
	}
	for _, o := range operators {
		b.WriteByte('\n')
		o.text(&b)
	}
	return b.String()
}

func writePermission(b *strings.Builder, op string, grants []Grant) {
	fmt.Fprintf(b, "  %-9s %s\n", op, Regex(grants))
	for _, g := range grants {
		fmt.Fprintf(b, "    %s: %s\n", g.Name, strings.Join(g.Why, "; "))
	}
}
