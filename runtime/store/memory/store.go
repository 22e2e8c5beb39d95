// Package memory is the store that keeps a service's inbox and outbox in
// memory, for tests and the in-process examples.
package memory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/store"
)

// New returns a Store that keeps its inbox and outbox in memory,
// for tests and the in-process examples. Nothing survives the process. It
// has no SQL database: InboxTx.SQL and DB return nil, and its outbox
// publisher, Publisher(nil), queues events at once since there is no
// transaction to commit them with.
func New() store.Store {
	return &memoryStore{
		applied: make(map[inboxKey]time.Time),
		claimed: make(map[inboxKey]*memoryClaim),
		wake:    make(chan struct{}, 1),
	}
}

type inboxKey struct{ consumer, producer, eventID string }

// memoryClaim is a claim held by an open transaction. A concurrent Claim of
// the same key waits for released, as a second INSERT of the same primary
// key waits in PostgreSQL, so that exactly one of them wins.

type memoryClaim struct {
	owner    *memoryTx
	released chan struct{}
}

type memoryStore struct {
	mu      sync.Mutex
	applied map[inboxKey]time.Time
	claimed map[inboxKey]*memoryClaim
	outbox  []*message.Message // committed, not yet sent, in publish order
	// positions are consumers' committed positions in event logs.
	positions map[logPositionKey]int64
	// orders are the committed order values of entities (order.go);
	// orderHeld, the keys open transactions recorded values of.
	orders    map[orderKey]int64
	orderHeld map[orderKey]*memoryClaim
	// setAside are the events the relay could not send, oldest first;
	// owner is the service relaying the outbox (see memstore_setaside.go).
	setAside []store.SetAsideRow
	owner    string

	wake    chan struct{} // a publish tells a waiting relay
	relayMu sync.Mutex    // one relay sends at a time, so order holds
}

// Migrate has nothing to create.
func (s *memoryStore) Migrate(context.Context) error { return nil }

// DB is nil: the memory store has no database.
func (s *memoryStore) DB() *sql.DB { return nil }

// String names the store in logs.
func (s *memoryStore) String() string { return "memory" }

// Begin opens an in-memory inbox transaction.
func (s *memoryStore) Begin(context.Context) (store.InboxTx, error) {
	return &memoryTx{s: s}, nil
}

// Retention is DefaultRetention.
func (s *memoryStore) Retention() time.Duration { return store.DefaultRetention }

// Prune forgets claims committed at least olderThan ago.
func (s *memoryStore) Prune(_ context.Context, olderThan time.Duration) (int64, error) {
	cutoff := time.Now().Add(-olderThan)
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for k, at := range s.applied {
		if !at.After(cutoff) {
			delete(s.applied, k)
			n++
		}
	}
	return n, nil
}

// release ends a claim held by an open transaction; s.mu must be held.
func (s *memoryStore) release(k inboxKey) {
	if c, ok := s.claimed[k]; ok {
		close(c.released)
		delete(s.claimed, k)
	}
}

type memorySavepoint struct {
	name   string
	claims int // len(claims) when the savepoint was set
	orders int // len(orders) then
}

type memoryTx struct {
	s          *memoryStore
	claims     []inboxKey
	savepoints []memorySavepoint
	positions  map[logPositionKey]int64 // set in this transaction
	orders     []orderWrite             // order values recorded, in order
	done       bool
}

// Claim takes e for consumer unless it was applied, or is held by this
// transaction; it waits while another open transaction holds it.
func (tx *memoryTx) Claim(ctx context.Context, consumer string, e store.EventRef) (bool, error) {
	k, eventID := inboxKey{consumer, e.Producer, e.ID}, e.ID
	for {
		tx.s.mu.Lock()
		if tx.done {
			tx.s.mu.Unlock()
			return false, fmt.Errorf("claim %s: %w", eventID, sql.ErrTxDone)
		}
		if _, ok := tx.s.applied[k]; ok {
			tx.s.mu.Unlock()
			return false, nil
		}
		c, held := tx.s.claimed[k]
		if !held {
			tx.s.claimed[k] = &memoryClaim{owner: tx, released: make(chan struct{})}
			tx.claims = append(tx.claims, k)
			tx.s.mu.Unlock()
			return true, nil
		}
		tx.s.mu.Unlock()
		if c.owner == tx {
			return false, nil
		}
		if len(tx.claims) > 0 || len(tx.orders) > 0 {
			// Waiting while holding claims or order values could wait
			// forever: two batches holding copies of each other's events
			// (PostgreSQL detects that deadlock and fails one; nothing
			// here would). The caller rolls back and handles the events
			// one at a time.
			return false, fmt.Errorf("claim %s: %w", eventID, store.ErrClaimConflict)
		}
		select {
		case <-c.released:
		case <-ctx.Done():
			return false, fmt.Errorf("claim %s: wait for a concurrent claim: %w", eventID, ctx.Err())
		}
	}
}

// SQL is nil: there is no database transaction.
func (tx *memoryTx) SQL() *sql.Tx { return nil }

// Savepoint remembers how many claims the transaction holds now.
func (tx *memoryTx) Savepoint(_ context.Context, name string) error {
	if err := store.CheckSavepointName(name); err != nil {
		return err
	}
	tx.s.mu.Lock()
	defer tx.s.mu.Unlock()
	if tx.done {
		return fmt.Errorf("savepoint %s: %w", name, sql.ErrTxDone)
	}
	tx.savepoints = append(tx.savepoints, memorySavepoint{name, len(tx.claims), len(tx.orders)})
	return nil
}

// RollbackTo releases the claims made since the latest savepoint called
// name and forgets the savepoints set after it, as SQL does.
func (tx *memoryTx) RollbackTo(_ context.Context, name string) error {
	if err := store.CheckSavepointName(name); err != nil {
		return err
	}
	tx.s.mu.Lock()
	defer tx.s.mu.Unlock()
	if tx.done {
		return fmt.Errorf("rollback to savepoint %s: %w", name, sql.ErrTxDone)
	}
	for i := len(tx.savepoints) - 1; i >= 0; i-- {
		sp := tx.savepoints[i]
		if sp.name != name {
			continue
		}
		for _, k := range tx.claims[sp.claims:] {
			tx.s.release(k)
		}
		tx.claims = tx.claims[:sp.claims]
		tx.undoOrders(sp.orders)
		tx.savepoints = tx.savepoints[:i+1]
		return nil
	}
	return fmt.Errorf("rollback to savepoint %s: no such savepoint", name)
}

// Commit records the claims as applied.
func (tx *memoryTx) Commit() error {
	return tx.end(true)
}

// Rollback releases the claims.
func (tx *memoryTx) Rollback() error {
	return tx.end(false)
}

func (tx *memoryTx) end(commit bool) error {
	tx.s.mu.Lock()
	defer tx.s.mu.Unlock()
	if tx.done {
		return sql.ErrTxDone
	}
	tx.done = true
	if commit {
		tx.commitPositions()
	}
	tx.endOrders(commit)
	now := time.Now()
	for _, k := range tx.claims {
		if commit {
			tx.s.applied[k] = now
		}
		tx.s.release(k)
	}
	return nil
}

// errNoSQLTx is returned by the memory outbox's publisher over a real
// transaction: it could not make the events commit with it.
var errNoSQLTx = errors.New("the memory store's outbox cannot write in a SQL transaction; use a SQL store, or Publisher(nil)")

// Publisher queues events at once when tx is nil. Given a transaction it
// returns a publisher that refuses, rather than send events that might be
// rolled back.
func (s *memoryStore) Publisher(tx *sql.Tx) runtime.Publisher {
	if tx != nil {
		return memoryTxPublisher{}
	}
	return memoryPublisher{s}
}

type memoryTxPublisher struct{}

func (memoryTxPublisher) Publish(context.Context, ...*message.Message) error { return errNoSQLTx }

type memoryPublisher struct{ s *memoryStore }

// Publish queues copies of msgs for the relay.
func (p memoryPublisher) Publish(ctx context.Context, msgs ...*message.Message) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory outbox: %w", err)
	}
	p.s.mu.Lock()
	for _, m := range msgs {
		p.s.outbox = append(p.s.outbox, m.Copy())
	}
	p.s.mu.Unlock()
	select {
	case p.s.wake <- struct{}{}:
	default:
	}
	return nil
}

// Backlog returns the IDs of queued events not yet sent, in relay order.
func (s *memoryStore) Backlog(context.Context) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, len(s.outbox))
	for i, m := range s.outbox {
		ids[i] = m.UUID
	}
	return ids, nil
}

// Relay sends queued events to pub in order, each dropped from the queue
// only after pub returned nil, until ctx ends; it then returns nil. A failed
// publish is retried with backoff, unless the error is Permanent: that
// event is set aside (ListSetAside) and the relay goes on with the next.
func (s *memoryStore) Relay(ctx context.Context, pub runtime.Publisher) error {
	var retry relayBackoff
	for {
		err := s.relayQueued(ctx, pub)
		wait := retry.Next(err)
		if err != nil && ctx.Err() == nil {
			slog.WarnContext(ctx, "memory outbox relay: publish failed, retrying", "error", err, "in", wait)
		}
		if !waitOrWake(ctx, wait, s.wake) {
			return nil
		}
	}
}

func (s *memoryStore) relayQueued(ctx context.Context, pub runtime.Publisher) error {
	s.relayMu.Lock()
	defer s.relayMu.Unlock()
	for ctx.Err() == nil {
		s.mu.Lock()
		if len(s.outbox) == 0 {
			s.mu.Unlock()
			return nil
		}
		m := s.outbox[0]
		s.mu.Unlock()
		err := pub.Publish(ctx, m.Copy())
		if err != nil && !runtime.IsPermanent(err) {
			return fmt.Errorf("relay event %s: %w", m.UUID, err)
		}
		s.dequeue(m, err)
		if err != nil {
			store.ReportSetAside(pub, m, err)
		}
	}
	return nil
}

// dequeue takes m, the oldest queued event, off the queue: it was sent, or
// it is set aside when a permanent publish error is given.
func (s *memoryStore) dequeue(m *message.Message, permanent error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outbox = s.outbox[1:]
	if permanent != nil {
		s.setAside = append(s.setAside, setAsideRow(m, permanent))
	}
}

// relayBackoff spaces out retries of a failing relay: 100ms doubling up to
// 5s, back to none after a success.
type relayBackoff struct{ d time.Duration }

// Next returns how long to wait after a relay pass that ended with err; a
// pass that succeeded waits for the next publish instead (a negative wait).
func (b *relayBackoff) Next(err error) time.Duration {
	if err == nil {
		b.d = 0
		return -1
	}
	b.d = min(max(2*b.d, 100*time.Millisecond), 5*time.Second)
	return b.d
}

// waitOrWake waits d, or for wake when d is negative, or until ctx ends;
// it reports false when ctx ended.
func waitOrWake(ctx context.Context, d time.Duration, wake <-chan struct{}) bool {
	var timer <-chan time.Time
	if d >= 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timer = t.C
		wake = nil
	}
	select {
	case <-ctx.Done():
		return false
	case <-wake:
	case <-timer:
	}
	return true
}
