package topology

import (
	"fmt"
	"strings"
)

// ImpersonatorTag is the RabbitMQ user tag that lets a connection publish
// with another user's user-id: an operator redriving dead letters keeps
// each event's publisher as its user-id, so that consumers verifying
// publishers (service.Config.PublisherUsers) apply it.
const ImpersonatorTag = "impersonator"

// Operator is the broker user evgen dlq runs as for every service of a
// set: it reads their dead-letter queues (list, redrive, drop) and
// redrives through the default exchange, with each event's original
// user-id (see recovery.DeadLetters.Redrive).
type Operator struct {
	User        string
	Tags        []string
	Permissions Permissions
	// Overreach is what the user may do beyond evgen dlq's need.
	Overreach []string
}

// NewOperator is the operator user named user for services.
func NewOperator(services []Service, user string) Operator {
	var read grants
	for _, s := range services {
		for _, q := range s.Queues {
			if q.Role == RoleDeadLetter {
				read.add(q.Name, "list, redrive and drop the dead letters of "+s.Name)
			}
		}
	}
	var write grants
	if len(read) > 0 {
		write.add(DefaultExchange, "redrive a dead letter straight into its service's queue")
	}
	return Operator{User: user, Tags: []string{ImpersonatorTag}, Permissions: Permissions{Write: write, Read: read},
		Overreach: []string{"write on " + DefaultExchange + " with the " + ImpersonatorTag + " tag: it may publish into any queue of the vhost as any user, so keep its password as an administrator's"}}
}

// text renders o as Text renders a service.
func (o Operator) text(b *strings.Builder) {
	fmt.Fprintf(b, "operator, broker user %q, tags %s (for evgen dlq)\n", o.User, strings.Join(o.Tags, ","))
	for _, op := range o.Permissions.ops() {
		writePermission(b, op.name, op.grants)
	}
	for _, s := range o.Overreach {
		fmt.Fprintf(b, "  beyond need: %s\n", s)
	}
}
