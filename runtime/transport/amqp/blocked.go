package amqp

import (
	"context"
	"fmt"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// blockState follows connection.blocked and connection.unblocked on a
// publisher connection. Under a memory or disk alarm RabbitMQ stops reading
// from every connection that publishes, so a write to it waits in the
// socket, past any deadline (amqp091 ignores the context once a write has
// started); knowing the connection is blocked lets a publish wait for the
// alarm to clear until its deadline and then say why it failed.
type blockState struct {
	mu      sync.Mutex
	reason  string        // the broker's, e.g. "low on memory"
	cleared chan struct{} // nil when not blocked; closed when the block clears
}

// watchBlocked follows conn's block notifications until it closes.
func watchBlocked(conn *amqp.Connection) *blockState {
	b := &blockState{}
	notes := conn.NotifyBlocked(make(chan amqp.Blocking, 4))
	go func() {
		for n := range notes {
			b.set(n.Active, n.Reason)
		}
		// Closed: nothing is blocked any more, publishes fail on the
		// closed connection instead.
		b.set(false, "")
	}()
	return b
}

func (b *blockState) set(active bool, reason string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case active:
		if b.cleared == nil {
			b.cleared = make(chan struct{})
		}
		b.reason = reason
	case b.cleared != nil:
		close(b.cleared)
		b.cleared, b.reason = nil, ""
	}
}

// current returns the broker's reason and a channel closed when the block
// clears, or a nil channel when the connection is not blocked.
func (b *blockState) current() (string, <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.reason, b.cleared
}

// wait returns once the connection is not blocked, or an ErrBrokerBlocked
// error when ctx ends first: nothing is written to a blocked connection.
func (b *blockState) wait(ctx context.Context) error {
	reason, cleared := b.current()
	if cleared == nil {
		return nil
	}
	select {
	case <-cleared:
		return nil
	case <-ctx.Done():
		return blockedError(reason, fmt.Errorf("wait for the broker to unblock the connection: %w", ctx.Err()))
	}
}

// explain wraps err, the failure of a publish step, in ErrBrokerBlocked
// when it failed because ctx ended while the broker blocks the connection.
func (b *blockState) explain(ctx context.Context, err error) error {
	if err == nil || ctx.Err() == nil {
		return err
	}
	if reason, cleared := b.current(); cleared != nil {
		return blockedError(reason, err)
	}
	return err
}

func blockedError(reason string, err error) error {
	return fmt.Errorf("%w (%s): %w", ErrBrokerBlocked, reason, err)
}

// closeTimeout bounds closing a publisher connection. A broker that reads
// answers in milliseconds; a blocked one never reads the close, and a write
// stuck in the socket holds the connection's writer, so a plain Close would
// wait for the alarm to clear. The deadline also fails that stuck write.
const closeTimeout = 2 * time.Second

// closeConn closes conn within closeTimeout.
func closeConn(conn *amqp.Connection) error {
	return conn.CloseDeadline(time.Now().Add(closeTimeout))
}
