package recovery

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	amqp "github.com/rabbitmq/amqp091-go"
)

// headerRedrives counts how many times an event was redriven from the
// dead-letter queue.
const headerRedrives = "x-evgen-redrives"

// DeadLetters is an operator's handle on one service's dead-letter queue:
// list, redrive and drop the events in it. The evgen dlq command is a thin
// layer over it.
//
// RabbitMQ has no way to read a queue without taking its messages, so
// every operation takes the whole queue on a channel of its own without
// acknowledging it; what it does not settle goes back to the queue, in
// order, when the channel closes.
type DeadLetters struct {
	conn       *amqp.Connection
	queue, dlq string
}

// OpenDeadLetters connects to the broker at url for the dead-letter queue
// of service svc in namespace (Config.Namespace; "" means the default). It
// tries once: a person is waiting.
func OpenDeadLetters(url, namespace, svc string) (*DeadLetters, error) {
	if namespace == "" {
		namespace = service.DefaultNamespace
	}
	queue, dlq, err := service.QueueNames(namespace, svc)
	if err != nil {
		return nil, err
	}
	conn, err := amqp.Dial(url)
	if err != nil {
		return nil, fmt.Errorf("connect to RabbitMQ: %w", err)
	}
	d := &DeadLetters{conn: conn, queue: queue, dlq: dlq}
	ch, err := conn.Channel()
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("open channel: %w", err)
	}
	defer ch.Close()
	if _, err := ch.QueueDeclarePassive(d.dlq, true, false, false, false, nil); err != nil {
		conn.Close()
		return nil, fmt.Errorf("dead-letter queue %s not found (has service %s run in namespace %s?): %w", d.dlq, svc, namespace, err)
	}
	return d, nil
}

// Close disconnects.
func (d *DeadLetters) Close() error { return d.conn.Close() }

// Queue is the dead-letter queue's name.
func (d *DeadLetters) Queue() string { return d.dlq }

// DeadLetter is one event in a dead-letter queue.
type DeadLetter struct {
	ID         string
	Type       string // "users.UserRegistered"
	Version    int
	Subject    string    // the event's key
	Reason     string    // the handler's or decoder's error
	Attempts   int       // 0 when it was never handled (could not be routed or decoded)
	At         time.Time // when it was dead-lettered
	Exchange   string    // original routing
	RoutingKey string
	Redrives   int // times it was redriven before
	Headers    map[string]string
	Body       []byte
}

// DeadLetterFilter selects dead letters; zero fields match anything, so
// the zero filter selects every one.
type DeadLetterFilter struct {
	IDs    []string  // exact event IDs
	Type   string    // event type, "users.UserRegistered" or just "UserRegistered"
	Reason string    // substring of the reason
	Since  time.Time // dead-lettered at or after
	Until  time.Time // dead-lettered before
}

// Match reports whether l is selected.
func (f DeadLetterFilter) Match(l DeadLetter) bool {
	switch {
	case len(f.IDs) > 0 && !slices.Contains(f.IDs, l.ID):
		return false
	case f.Type != "" && l.Type != f.Type && !strings.HasSuffix(l.Type, "."+f.Type):
		return false
	case f.Reason != "" && !strings.Contains(l.Reason, f.Reason):
		return false
	case !f.Since.IsZero() && l.At.Before(f.Since):
		return false
	case !f.Until.IsZero() && !l.At.Before(f.Until):
		return false
	}
	return true
}

// List returns the dead letters f selects, oldest first, and leaves them
// in the queue.
func (d *DeadLetters) List(ctx context.Context, f DeadLetterFilter) ([]DeadLetter, error) {
	var out []DeadLetter
	err := d.each(ctx, f, func(l DeadLetter, _ amqp.Delivery) (bool, error) {
		out = append(out, l)
		return false, nil
	})
	return out, err
}

// Redrive sends the dead letters f selects back to the service's queue
// (only that service's: through the default exchange), with their
// original event IDs and headers, so the service's inbox applies each at
// most once however often it is redriven. Each is removed from the
// dead-letter queue only after the broker confirmed its copy. It takes
// only what the queue held when it started: a redriven event that fails
// again and comes back meanwhile waits for the next redrive. It returns
// how many were redriven.
//
// Each copy carries the user-id of the event's publisher (kept in the
// dead letter's HeaderDLQUserID), so that a consumer verifying publishers
// (Config.PublisherUsers) applies it. RabbitMQ lets a connection set
// another user's user-id only when its user has the impersonator tag
// (evgen topology -operator defines such a user): without it the broker
// refuses the first copy, Redrive says so, and every dead letter stays in
// the queue.
func (d *DeadLetters) Redrive(ctx context.Context, f DeadLetterFilter) (int, error) {
	pub, err := d.conn.Channel()
	if err != nil {
		return 0, fmt.Errorf("open channel: %w", err)
	}
	defer pub.Close()
	if err := pub.Confirm(false); err != nil {
		return 0, fmt.Errorf("enable publisher confirms: %w", err)
	}
	returns := pub.NotifyReturn(make(chan amqp.Return, 1))
	closed := pub.NotifyClose(make(chan *amqp.Error, 1))
	n := 0
	err = d.each(ctx, f, func(l DeadLetter, del amqp.Delivery) (bool, error) {
		if err := d.republish(ctx, pub, returns, closed, del, l); err != nil {
			return false, err
		}
		n++
		return true, nil
	})
	return n, err
}

// republish sends one dead letter to the service's queue and waits for
// the broker's confirm.
func (d *DeadLetters) republish(ctx context.Context, ch *amqp.Channel, returns <-chan amqp.Return, closed <-chan *amqp.Error, del amqp.Delivery, l DeadLetter) error {
	p := redrivePublishing(del, l.Redrives+1)
	dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, "", d.queue, true, false, p)
	if err != nil {
		return fmt.Errorf("redrive %s: %w", l.ID, err)
	}
	ok, err := dc.WaitContext(ctx)
	if err != nil || !ok {
		select {
		case e := <-closed:
			return refusedRedrive(l.ID, p.UserId, e)
		default:
		}
		return fmt.Errorf("redrive %s: broker did not confirm: %v", l.ID, err)
	}
	select {
	case r := <-returns:
		return fmt.Errorf("redrive %s: service queue %s does not exist (%s): %w", r.MessageId, d.queue, r.ReplyText, service.ErrUnroutable)
	default:
	}
	return nil
}

// redrivePublishing copies a dead letter without the dead-letter headers,
// which a new failure sets again, counting the redrive.
func redrivePublishing(del amqp.Delivery, redrives int) amqp.Publishing {
	h := amqp.Table{}
	for k, v := range del.Headers {
		switch k {
		case service.HeaderDLQError, service.HeaderDLQAttempts, service.HeaderDLQExchange, service.HeaderDLQRoutingKey, service.HeaderDLQTime, service.HeaderDLQUserID, "x-death":
		default:
			h[k] = v
		}
	}
	h[headerRedrives] = int64(redrives)
	return amqp.Publishing{
		UserId:  originalUserID(del),
		Headers: h, ContentType: del.ContentType, DeliveryMode: amqp.Persistent,
		CorrelationId: del.CorrelationId, MessageId: del.MessageId, Timestamp: del.Timestamp,
		Type: del.Type, AppId: del.AppId, Body: del.Body,
	}
}

// originalUserID is the broker user that published a dead letter's event.
// The runtime's own dead-letter copy is published by the consuming
// service, so its user-id is the consumer's and the original one is in
// HeaderDLQUserID (the copy is marked by HeaderDLQError); a message the
// broker dead-lettered (a consumer of another language rejecting it)
// keeps the original user-id as it was.
func originalUserID(del amqp.Delivery) string {
	if _, runtimeCopy := del.Headers[service.HeaderDLQError]; !runtimeCopy {
		return del.UserId
	}
	userID, _ := del.Headers[service.HeaderDLQUserID].(string)
	return userID
}

// refusedRedrive explains the broker closing the channel on the redrive
// of id: when it refused the original user-id, what the operator's user
// lacks.
func refusedRedrive(id, userID string, e *amqp.Error) error {
	if e != nil && e.Code == amqp.PreconditionFailed && strings.Contains(e.Reason, "user_id") {
		return fmt.Errorf("redrive %s: the broker refused the user-id of its publisher, %q (%s): a redrive keeps it, so that a consumer verifying publishers applies the event, "+
			"which RabbitMQ allows only a user tagged impersonator: run evgen dlq as such a user (rabbitmqctl set_user_tags <user> impersonator; "+
			"evgen topology -format rabbitmq -operator <user> defines one); every dead letter not yet redriven is still in the queue", id, userID, e.Reason)
	}
	return fmt.Errorf("redrive %s: the broker closed the channel: %v; every dead letter not yet redriven is still in the queue", id, e)
}

// Drop deletes the dead letters f selects and returns how many.
func (d *DeadLetters) Drop(ctx context.Context, f DeadLetterFilter) (int, error) {
	n := 0
	err := d.each(ctx, f, func(DeadLetter, amqp.Delivery) (bool, error) {
		n++
		return true, nil
	})
	return n, err
}

// each takes the messages the dead-letter queue holds when it starts, on
// a new channel, and calls fn with those f selects; a message fn settles
// (returns true for) is acked, the others go back when the channel closes.
//
// It stops after as many messages as the queue held at the start: what
// arrives later is behind them (a queue is FIFO), and may be a redriven
// event that failed again, which a redrive reading until the queue is
// empty would send back again and again.
func (d *DeadLetters) each(ctx context.Context, f DeadLetterFilter, fn func(DeadLetter, amqp.Delivery) (bool, error)) error {
	ch, err := d.conn.Channel()
	if err != nil {
		return fmt.Errorf("open channel: %w", err)
	}
	q, err := ch.QueueDeclarePassive(d.dlq, true, false, false, false, nil)
	if err != nil {
		ch.Close()
		return fmt.Errorf("count the messages in %s: %w", d.dlq, err)
	}
	settled := 0
	defer func() {
		ch.Close()
		d.awaitReturned(q.Messages - settled)
	}()
	for taken := 0; taken < q.Messages && ctx.Err() == nil; taken++ {
		del, ok, err := ch.Get(d.dlq, false)
		if err != nil {
			return fmt.Errorf("read %s: %w", d.dlq, err)
		}
		if !ok {
			return nil
		}
		l := deadLetterOf(del)
		if !f.Match(l) {
			continue
		}
		settle, err := fn(l, del)
		if err != nil {
			return err
		}
		if settle {
			if err := del.Ack(false); err != nil {
				return fmt.Errorf("remove %s from %s: %w", l.ID, d.dlq, err)
			}
			settled++
		}
	}
	return ctx.Err()
}

// returnWait bounds awaitReturned.
const returnWait = 5 * time.Second

// awaitReturned waits until the dead-letter queue holds at least want
// messages ready again, or returnWait passed. A quorum queue puts back the
// messages of a closed channel asynchronously, so an operation that counts
// the queue right after another one (List, then Drop) would count them
// missing and take nothing.
func (d *DeadLetters) awaitReturned(want int) {
	ch, err := d.conn.Channel()
	if err != nil {
		return
	}
	defer ch.Close()
	for deadline := time.Now().Add(returnWait); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		q, err := ch.QueueDeclarePassive(d.dlq, true, false, false, false, nil)
		if err != nil || q.Messages >= want {
			return
		}
	}
}

// deadLetterOf reads a dead-letter queue message.
func deadLetterOf(del amqp.Delivery) DeadLetter {
	h := make(map[string]string, len(del.Headers))
	for k, v := range del.Headers {
		h[k] = service.HeaderString(v)
	}
	l := DeadLetter{
		ID: del.MessageId, Type: h[runtime.HeaderType], Subject: h[runtime.HeaderSubject], Reason: h[service.HeaderDLQError],
		Exchange: h[service.HeaderDLQExchange], RoutingKey: h[service.HeaderDLQRoutingKey], Headers: h, Body: del.Body,
	}
	if l.ID == "" {
		l.ID = h[runtime.HeaderID]
	}
	if l.Type == "" {
		l.Type = del.Type
	}
	l.Version, _ = strconv.Atoi(h[runtime.HeaderEventVersion])
	l.Attempts, _ = strconv.Atoi(h[service.HeaderDLQAttempts])
	l.Redrives, _ = strconv.Atoi(h[headerRedrives])
	if t, err := time.Parse(time.RFC3339Nano, h[service.HeaderDLQTime]); err == nil {
		l.At = t
	}
	return l
}
