package cluster

import (
	"errors"
	"fmt"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/evgenhq/evgen/examples/billing/billingevents"
	"github.com/evgenhq/evgen/examples/transportflag"
	"github.com/evgenhq/evgen/examples/users/usersevents"
	"github.com/evgenhq/evgen/runtime"
	rtservice "github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store/memory"
)

// Reachable reports whether a RabbitMQ broker answers at url within a
// couple of seconds, and why not.
func Reachable(url string) error {
	conn, err := amqp.DialConfig(url, amqp.Config{Dial: amqp.DefaultDial(2 * time.Second)})
	if err != nil {
		return err
	}
	return conn.Close()
}

// DeleteTopology deletes the exchanges and queues the two services declare
// in namespace, so that a demo or a test leaves the broker as it found it.
func DeleteTopology(url, namespace string) error {
	conn, err := amqp.DialConfig(url, amqp.Config{Dial: amqp.DefaultDial(5 * time.Second)})
	if err != nil {
		return fmt.Errorf("delete topology of %s: %w", namespace, err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("delete topology of %s: %w", namespace, err)
	}
	var errs []error
	seen := map[string]bool{}
	for _, contract := range []runtime.Contract{usersevents.Contract, billingevents.Contract} {
		plan := rtservice.Topology(rtservice.Config{Contract: contract, Namespace: namespace})
		for _, q := range plan.Queues {
			if _, err := ch.QueueDelete(q.Name, false, false, false); err != nil {
				errs = append(errs, fmt.Errorf("delete queue %s: %w", q.Name, err))
			}
		}
		for _, e := range plan.Exchanges {
			if !seen[e.Name] {
				seen[e.Name] = true
				if err := ch.ExchangeDelete(e.Name, false, false); err != nil {
					errs = append(errs, fmt.Errorf("delete exchange %s: %w", e.Name, err))
				}
			}
		}
	}
	return errors.Join(errs...)
}

// PublishAsUsers returns a publisher of users' events that goes straight
// to the transport, bypassing the users service: for showing what billing
// does with an event that arrives late or twice, which the real users
// service never sends on purpose.
func (c *Cluster) PublishAsUsers() (*usersevents.Publisher, error) {
	if c.injector == nil {
		transport := rtservice.AMQP(c.opts.AMQPURL)
		switch {
		case c.opts.Mode == InProcess:
			transport = rtservice.InProcess(c.bus)
		case c.opts.Transport != "":
			t, err := transportflag.Parse(c.opts.Transport)
			if err != nil {
				return nil, err
			}
			transport = t
		}
		svc, err := rtservice.New(rtservice.Config{
			Contract: usersevents.Contract, Transport: transport, Store: memory.New(), Namespace: c.opts.Namespace,
		})
		if err != nil {
			return nil, err
		}
		c.injector = svc
	}
	return usersevents.NewPublisher(c.injector), nil
}
