// Package cluster starts the example services, users and billing, and
// talks to them over their HTTP APIs, for the demo and the end-to-end
// tests: as two separate processes over RabbitMQ, or both inside this
// process over the in-process transport when there is no broker.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"go.opentelemetry.io/otel/trace"

	rtservice "github.com/evgenhq/evgen/runtime/service"
)

// Mode is how the services run.
type Mode int

// The modes.
const (
	// Processes runs each service as its own process, built by Build,
	// over RabbitMQ.
	Processes Mode = iota
	// InProcess runs both services in this process over
	// service.InProcess: no broker, and nothing survives the process.
	InProcess
	// Goroutines runs both services in this process over RabbitMQ, as
	// Processes does, so that a test can hand them a tracer provider
	// (Options.TracerProvider) and read their spans.
	Goroutines
)

// Options configure a Cluster.
type Options struct {
	Mode Mode
	// BinDir holds the users and billing binaries (see Build); Processes
	// only.
	BinDir string
	// AMQPURL is the broker; Processes and Goroutines only. Close deletes
	// the topology through it.
	AMQPURL string
	// UsersAMQPURL and BillingAMQPURL, when set, are the URLs users and
	// billing connect with instead of AMQPURL, for services that each
	// have a broker user of their own (see evgen topology); Processes
	// only.
	UsersAMQPURL, BillingAMQPURL string
	// Transport, when set, is the services' -transport flag (a nats://
	// URL: NATS JetStream instead of RabbitMQ; Close deletes the
	// namespace's streams); Processes only.
	Transport string
	// VerifyPublishers makes both services dead-letter an event not
	// published by its producer's broker user, named UserPrefix + service;
	// Processes only.
	VerifyPublishers bool
	UserPrefix       string
	// Namespace prefixes the RabbitMQ exchanges and queues; Close deletes
	// them.
	Namespace string
	// UsersDB and BillingDB are the services' databases: SQLite file paths
	// or postgres:// URLs.
	UsersDB, BillingDB string
	// LogDir receives users.log and billing.log.
	LogDir string
	// TracerProvider makes both services' spans; InProcess and Goroutines
	// only (processes read the OTEL_* variables), nil for the global one.
	TracerProvider trace.TracerProvider
}

// Cluster is a running pair of services.
type Cluster struct {
	// Users and Billing talk to the services' HTTP APIs.
	Users   UsersAPI
	Billing BillingAPI

	opts     Options
	users    service
	billing  service
	bus      *rtservice.InProcessBus // InProcess only
	injector *rtservice.Service      // see PublishAsUsers
	replicas int                     // billings started by ReplaceBilling
}

// service is one running service, a process or a goroutine.
type service interface {
	// start launches the service and returns without waiting for it to be
	// ready.
	start() error
	// stop ends the service with sig (SIGTERM: gracefully; SIGKILL: at
	// once) and waits until it ended.
	stop(sig syscall.Signal) error
	// exited is closed when the service ended.
	exited() <-chan struct{}
	// pid is the process ID; 0 in process.
	pid() int
}

// Start starts both services and waits until both answer.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	if err := os.MkdirAll(opts.LogDir, 0o755); err != nil {
		return nil, fmt.Errorf("log directory: %w", err)
	}
	usersAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	billingAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	c := &Cluster{opts: opts, Users: UsersAPI{newClient(usersAddr)}, Billing: BillingAPI{newClient(billingAddr)}}
	switch opts.Mode {
	case Processes:
		c.users = newProcess(filepath.Join(opts.BinDir, "users"), usersAddr, opts.UsersDB, orDefault(opts.UsersAMQPURL, opts.AMQPURL), opts, "users")
		c.billing = newProcess(filepath.Join(opts.BinDir, "billing"), billingAddr, opts.BillingDB, orDefault(opts.BillingAMQPURL, opts.AMQPURL), opts, "billing")
	case InProcess:
		c.bus = rtservice.NewInProcessBus()
		c.users = newInProcessUsers(usersAddr, opts, rtservice.InProcess(c.bus))
		c.billing = newInProcessBilling(billingAddr, opts, rtservice.InProcess(c.bus))
	case Goroutines:
		c.users = newInProcessUsers(usersAddr, opts, rtservice.AMQP(opts.AMQPURL))
		c.billing = newInProcessBilling(billingAddr, opts, rtservice.AMQP(opts.AMQPURL))
	default:
		return nil, fmt.Errorf("unknown mode %d", opts.Mode)
	}
	// Billing first: its queue must exist before users publishes, or the
	// broker has nowhere to put users' first events (the runtime's relay
	// would hold them back until it does).
	if err := c.startAndWait(ctx, c.billing, c.Billing.Client, "billing"); err != nil {
		c.Close()
		return nil, err
	}
	if err := c.startAndWait(ctx, c.users, c.Users.Client, "users"); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// startAndWait starts s and waits until its /healthz answers.
func (c *Cluster) startAndWait(ctx context.Context, s service, client *Client, name string) error {
	if err := s.start(); err != nil {
		return fmt.Errorf("start %s: %w", name, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		if client.Healthy(ctx) {
			return nil
		}
		select {
		case <-s.exited():
			return fmt.Errorf("%s exited at start; its log:\n%s", name, c.LogTail(name, 20))
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer on %s: %w; its log:\n%s", name, client.base, ctx.Err(), c.LogTail(name, 20))
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// StopBilling ends billing's process with sig: syscall.SIGTERM for a
// graceful shutdown, syscall.SIGKILL for a crash (Processes only).
func (c *Cluster) StopBilling(sig syscall.Signal) error {
	return c.billing.stop(sig)
}

// StartBilling starts billing again, with the same database, and waits
// until it answers.
func (c *Cluster) StartBilling(ctx context.Context) error {
	return c.startAndWait(ctx, c.billing, c.Billing.Client, "billing")
}

// ReplaceBilling stops billing and starts a brand-new billing process in
// its place, on a new empty SQLite database in the log directory (whose
// path it returns; each replacement gets its own) with the extra flags args (such as -sync-from start),
// and waits until it answers. Processes only: the in-process bus keeps no
// event log to sync from.
func (c *Cluster) ReplaceBilling(ctx context.Context, args ...string) (db string, err error) {
	if c.opts.Mode != Processes {
		return "", errors.New("replacing billing needs separate processes (over RabbitMQ or NATS)")
	}
	if err := c.billing.stop(syscall.SIGTERM); err != nil {
		return "", err
	}
	c.replicas++
	db = filepath.Join(c.opts.LogDir, fmt.Sprintf("billing-replica-%d.db", c.replicas))
	p := newProcess(filepath.Join(c.opts.BinDir, "billing"), strings.TrimPrefix(c.Billing.URL(), "http://"), db, orDefault(c.opts.BillingAMQPURL, c.opts.AMQPURL), c.opts, "billing")
	p.args = append(p.args, args...)
	c.billing = p
	return db, c.startAndWait(ctx, c.billing, c.Billing.Client, "billing")
}

// BillingPID is the process ID of billing; 0 in process.
func (c *Cluster) BillingPID() int { return c.billing.pid() }

// UsersPID is the process ID of users; 0 in process.
func (c *Cluster) UsersPID() int { return c.users.pid() }

// LogTail returns the last n lines of the service's log.
func (c *Cluster) LogTail(name string, n int) string {
	return tail(filepath.Join(c.opts.LogDir, name+".log"), n)
}

// Close stops both services gracefully and, over RabbitMQ, deletes the
// namespace's exchanges and queues.
func (c *Cluster) Close() error {
	var errs []error
	if c.injector != nil {
		errs = append(errs, c.injector.Close())
	}
	for _, s := range []service{c.users, c.billing} {
		if s != nil {
			errs = append(errs, s.stop(syscall.SIGTERM))
		}
	}
	switch {
	case c.opts.Mode == Processes && c.opts.Transport != "":
		errs = append(errs, DeleteStreams(c.opts.Transport, c.opts.Namespace))
	case c.opts.Mode != InProcess: // Processes and Goroutines, over RabbitMQ
		errs = append(errs, DeleteTopology(c.opts.AMQPURL, c.opts.Namespace))
	}
	return errors.Join(errs...)
}

// freeAddr returns a loopback address with a port that was free a moment
// ago, for a service to listen on.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
