package main

import (
	"context"
	"sync"
	"time"

	"github.com/evgenhq/evgen/runtime/store"
	"github.com/evgenhq/evgen/runtime/store/postgres"
)

// trackingStore wraps the store a consumer case measures, to learn when
// each event's inbox transaction committed: the moment its effect is
// durable, which is where the clock of a consume or latency case stops.
// It changes nothing on the queue path the cases measure: its transactions
// forward store.BatchClaimer when the store's do, so concurrent mode
// claims a batch in one statement as it does for users. It hides the
// stores' other optional interfaces: Pruner, whose start-up pass would
// delete nothing in fresh tables, and LogPositions, which only Sync (replay
// from an event log, not benchmarked) uses.
type trackingStore struct {
	store.Store
	committed func(ids []string, at time.Time)
}

func (s trackingStore) Begin(ctx context.Context) (store.InboxTx, error) {
	tx, err := s.Store.Begin(ctx)
	if err != nil {
		return nil, err
	}
	t := &trackingTx{InboxTx: tx, committed: s.committed, marks: map[string]int{}}
	if q, ok := tx.(postgres.Queuer); ok {
		t.queuer = q
	}
	if bc, ok := tx.(store.BatchClaimer); ok {
		return batchTrackingTx{t, bc}, nil
	}
	return t, nil
}

// batchTrackingTx is a trackingTx over a transaction that claims batches
// in one statement.
type batchTrackingTx struct {
	*trackingTx
	bc store.BatchClaimer
}

func (tx batchTrackingTx) ClaimAll(ctx context.Context, consumer string, events []store.EventRef) ([]bool, error) {
	won, err := tx.bc.ClaimAll(ctx, consumer, events)
	if err != nil {
		return nil, err
	}
	for i, ok := range won {
		if ok {
			tx.claimed = append(tx.claimed, events[i].ID)
		}
	}
	return won, nil
}

// trackingTx remembers the events claimed in one inbox transaction,
// forgetting those a RollbackTo undid, and reports them after Commit.
type trackingTx struct {
	store.InboxTx
	committed func(ids []string, at time.Time)
	claimed   []string
	marks     map[string]int  // savepoint -> len(claimed) when it was set
	queuer    postgres.Queuer // the postgres store's, forwarded; nil for the others
}

// Queue forwards postgres.Queuer, so that the handler's queued writes go
// with the store's claims as they would without the wrapper.
func (tx *trackingTx) Queue(ctx context.Context, query string, args ...any) error {
	if tx.queuer == nil {
		return postgres.ErrNoQueue
	}
	return tx.queuer.Queue(ctx, query, args...)
}

func (tx *trackingTx) Claim(ctx context.Context, consumer string, e store.EventRef) (bool, error) {
	ok, err := tx.InboxTx.Claim(ctx, consumer, e)
	if ok && err == nil {
		tx.claimed = append(tx.claimed, e.ID)
	}
	return ok, err
}

func (tx *trackingTx) Savepoint(ctx context.Context, name string) error {
	if err := tx.InboxTx.Savepoint(ctx, name); err != nil {
		return err
	}
	tx.marks[name] = len(tx.claimed)
	return nil
}

func (tx *trackingTx) RollbackTo(ctx context.Context, name string) error {
	if err := tx.InboxTx.RollbackTo(ctx, name); err != nil {
		return err
	}
	tx.claimed = tx.claimed[:tx.marks[name]]
	return nil
}

func (tx *trackingTx) Commit() error {
	if err := tx.InboxTx.Commit(); err != nil {
		return err
	}
	tx.committed(tx.claimed, time.Now())
	return nil
}

// commitCounter closes done once n events have committed.
type commitCounter struct {
	mu   sync.Mutex
	n    int
	seen int
	done chan struct{}
}

func newCommitCounter(n int) *commitCounter {
	return &commitCounter{n: n, done: make(chan struct{})}
}

// count is how many events have committed so far.
func (c *commitCounter) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seen
}

func (c *commitCounter) committed(ids []string, _ time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	was := c.seen
	c.seen += len(ids)
	if was < c.n && c.seen >= c.n {
		close(c.done)
	}
}
