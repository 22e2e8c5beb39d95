package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/evgenhq/evgen/bench/internal/benchsubevents"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store"
	"github.com/evgenhq/evgen/runtime/store/memory"
	"github.com/evgenhq/evgen/runtime/store/postgres"
	"github.com/evgenhq/evgen/runtime/store/sqlite"
)

// inboxKind is the store behind an evgen consumer case.
type inboxKind string

const (
	memoryInbox   inboxKind = "memory"
	sqliteInbox   inboxKind = "sqlite"
	postgresInbox inboxKind = "pg"
)

// consumerStore is an inbox with the handler's own state table beside it.
type consumerStore struct {
	store  store.Store
	insert string // the handler's state write, in the store's SQL dialect; "" for memory
	queue  bool   // the handler queues its write (postgres.Queue), as documented for PostgreSQL
	rows   func(ctx context.Context) (int, error)
	close  func() error
}

// openConsumerStore makes a fresh store of kind, with its tables.
func (e *env) openConsumerStore(ctx context.Context, kind inboxKind, memoryRows *atomic.Int64) (*consumerStore, error) {
	switch kind {
	case memoryInbox:
		return &consumerStore{
			store: memory.New(),
			rows:  func(context.Context) (int, error) { return int(memoryRows.Load()), nil },
			close: func() error { return nil },
		}, nil
	case sqliteInbox:
		return e.sqliteConsumerStore(ctx)
	default:
		return e.pgConsumerStore(ctx)
	}
}

func (e *env) pgConsumerStore(ctx context.Context) (*consumerStore, error) {
	db, err := e.sqlDB(ctx)
	if err != nil {
		return nil, err
	}
	st, err := e.pgStore(ctx)
	if err != nil {
		return nil, err
	}
	t, err := e.createStateTables(ctx, "evgen")
	if err != nil {
		return nil, errors.Join(err, dropPGStore(st))
	}
	return &consumerStore{
		store:  st,
		insert: fmt.Sprintf(`INSERT INTO %s (event_id, body_bytes) VALUES ($1, $2)`, t.State),
		queue:  true,
		rows:   func(ctx context.Context) (int, error) { return countRows(ctx, db, t.State) },
		close:  func() error { return errors.Join(dropPGStore(st), e.dropStateTables(t)) },
	}, nil
}

func (e *env) sqliteConsumerStore(ctx context.Context) (*consumerStore, error) {
	dir, err := os.MkdirTemp("", "evgen-bench-sqlite-")
	if err != nil {
		return nil, fmt.Errorf("temporary directory for SQLite: %w", err)
	}
	db, err := sqlite.Open(filepath.Join(dir, "inbox.db"))
	if err != nil {
		return nil, errors.Join(err, os.RemoveAll(dir))
	}
	closeAll := func() error { return errors.Join(db.Close(), os.RemoveAll(dir)) }
	st, err := sqlite.New(db, sqlite.Options{Logger: e.runtimeLog()})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("sqlite store: %w", err), closeAll())
	}
	if err := st.Migrate(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("migrate the sqlite store: %w", err), closeAll())
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE state (event_id TEXT PRIMARY KEY, body_bytes INTEGER NOT NULL)`); err != nil {
		return nil, errors.Join(fmt.Errorf("create state table: %w", err), closeAll())
	}
	return &consumerStore{
		store:  st,
		insert: `INSERT INTO state (event_id, body_bytes) VALUES (?, ?)`,
		rows:   func(ctx context.Context) (int, error) { return countRows(ctx, db, "state") },
		close:  closeAll,
	}, nil
}

// stateHandler is the benchmark consumer's handler: one row of state per
// event, written in the inbox transaction the runtime hands it.
type stateHandler struct {
	insert  string
	queue   bool                            // through postgres.Queue rather than service.Tx
	memory  *atomic.Int64                   // rows of the memory case
	handled func(id string, sent time.Time) // nil for none
}

func (h stateHandler) HandleEmailChanged(ctx context.Context, ev benchsubevents.EmailChanged, m runtime.Meta) error {
	if h.handled != nil {
		h.handled(m.ID, ev.ChangedAt)
	}
	if h.insert == "" {
		h.memory.Add(1)
		return nil
	}
	if h.queue {
		if err := postgres.Queue(ctx, h.insert, m.ID, len(ev.Email)); err != nil {
			return fmt.Errorf("write state for %s: %w", m.ID, err)
		}
		return nil
	}
	tx := service.Tx(ctx)
	if tx == nil {
		return errors.New("no inbox transaction in the handler's context")
	}
	if _, err := tx.ExecContext(ctx, h.insert, m.ID, len(ev.Email)); err != nil {
		return fmt.Errorf("write state for %s: %w", m.ID, err)
	}
	return nil
}

// consumeEvgen times the generated consumer over service.Service with the
// given inbox, from service start until every pre-filled event's inbox
// transaction committed.
func consumeEvgen(kind inboxKind, concurrent bool) func(ctx context.Context, e *env) (result, error) {
	return func(ctx context.Context, e *env) (res result, err error) {
		concurrency := 1
		if concurrent {
			concurrency = e.cfg.Consumers
		}
		r, err := e.newEvgenRun(ctx, false)
		if err != nil {
			return res, err
		}
		defer func() { err = errors.Join(err, r.remove()) }()
		var memoryRows atomic.Int64
		cs, err := e.openConsumerStore(ctx, kind, &memoryRows)
		if err != nil {
			return res, err
		}
		defer func() { err = errors.Join(err, cs.close()) }()
		n := e.cfg.Events
		if err := r.prefill(ctx, n); err != nil {
			return res, err
		}

		counter := newCommitCounter(n)
		svc, err := r.service(benchsubevents.Contract, trackingStore{Store: cs.store, committed: counter.committed}, concurrency)
		if err != nil {
			return res, err
		}
		if err := benchsubevents.RegisterHandlers(svc, stateHandler{insert: cs.insert, queue: cs.queue, memory: &memoryRows}); err != nil {
			return res, fmt.Errorf("register handlers: %w", err)
		}
		elapsed, err := runUntil(ctx, svc, counter.done)
		if err != nil {
			return res, err
		}
		got, err := cs.rows(ctx)
		if err != nil {
			return res, err
		}
		if got != n {
			return res, fmt.Errorf("%d state rows after consuming %d events", got, n)
		}
		return throughput(n, elapsed), nil
	}
}

// runUntil runs svc until done closes and returns the time from start to
// done; Run's own start-up (connect, declare, migrate) is inside it, as the
// hand-written consumers' dial is inside theirs.
func runUntil(ctx context.Context, svc *service.Service, done <-chan struct{}) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	stopped := make(chan error, 1)
	start := time.Now()
	go func() { stopped <- svc.Run(ctx) }()
	select {
	case <-done:
		elapsed := time.Since(start)
		cancel()
		if err := <-stopped; err != nil {
			return elapsed, fmt.Errorf("stop consumer: %w", err)
		}
		return elapsed, nil
	case err := <-stopped:
		if err == nil {
			err = ctx.Err()
		}
		return 0, fmt.Errorf("consumer stopped before handling every event: %w", err)
	}
}
