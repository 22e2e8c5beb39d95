package amqp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// brokerNode is one broker URL of the transport.
type brokerNode struct {
	url string
	// addr is host:port, for logs: the URL may hold a password.
	addr string
}

// parseNodes checks the URLs given to AMQP.
func parseNodes(urls []string) ([]brokerNode, error) {
	if len(urls) == 0 {
		return nil, errors.New(`no broker URL: pass at least one, e.g. service.AMQP("amqp://guest:guest@127.0.0.1:5672/")`)
	}
	nodes := make([]brokerNode, len(urls))
	var errs []error
	for i, u := range urls {
		uri, err := amqp.ParseURI(u)
		if err != nil {
			errs = append(errs, fmt.Errorf("AMQP URL %d of %d (%q): %w", i+1, len(urls), redact(u), err))
			continue
		}
		nodes[i] = brokerNode{url: u, addr: net.JoinHostPort(uri.Host, strconv.Itoa(uri.Port))}
	}
	return nodes, errors.Join(errs...)
}

// redact hides the password of a URL, so that an error can quote it.
func redact(u string) string {
	if p, err := url.Parse(u); err == nil {
		return p.Redacted()
	}
	return "(not a URL)"
}

// dial connects, retrying until ctx ends: also the first connection, since
// the broker may start after the service. It tries the nodes in turn from
// the one after the node role last connected to (which has just failed,
// or the role would not dial again), and backs off only after a whole
// round failed: a dead node is skipped at once.
func (b *binding) dial(ctx context.Context, role string) (*amqp.Connection, error) {
	cfg := amqp.Config{
		Properties: amqp.Table{"connection_name": b.env.Service + " " + role},
		Heartbeat:  10 * time.Second,
		Dial:       amqp.DefaultDial(5 * time.Second),
	}
	first := b.firstNode(role)
	for round, attempt := 1, 1; ; round++ {
		var err error
		for i := range b.nodes {
			n := (first + i) % len(b.nodes)
			var conn *amqp.Connection
			if conn, err = amqp.DialConfig(b.nodes[n].url, cfg); err == nil {
				b.connected(role, n, attempt)
				return conn, nil
			}
			if i < len(b.nodes)-1 {
				b.env.Logger.Log(ctx, levelForAttempt(round), "connect to RabbitMQ failed, trying the next node", "role", role, "node", b.nodes[n].addr, "attempt", attempt, "err", err)
			}
			attempt++
			if ctx.Err() != nil {
				return nil, fmt.Errorf("connect to RabbitMQ (%d attempts, last error: %v): %w", attempt-1, err, ctx.Err())
			}
		}
		// One line per attempt; the last of a round says how long the
		// round's backoff waits (the tests read it too).
		wait := b.env.RetryDelay(round)
		b.env.Logger.Log(ctx, levelForAttempt(round), "connect to RabbitMQ failed, retrying", "role", role, "node", b.nodes[(first+len(b.nodes)-1)%len(b.nodes)].addr,
			"attempt", attempt-1, "nodes", len(b.nodes), "round", round, "retry_in", wait, "err", err)
		if !sleep(ctx, wait) {
			return nil, fmt.Errorf("connect to RabbitMQ (%d attempts, last error: %v): %w", attempt-1, err, ctx.Err())
		}
	}
}

// firstNode is the node role's next dial tries first.
func (b *binding) firstNode(role string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.next[role]
}

// connected records that role connected to node n, so that its next dial,
// after this connection fails, starts at the node after n.
func (b *binding) connected(role string, n, attempts int) {
	b.mu.Lock()
	b.next[role] = (n + 1) % len(b.nodes)
	b.mu.Unlock()
	if attempts > 1 || len(b.nodes) > 1 {
		b.env.Logger.Info("connected to RabbitMQ", "role", role, "node", b.nodes[n].addr, "attempts", attempts)
	}
}
