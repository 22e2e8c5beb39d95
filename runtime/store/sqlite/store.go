// Package sqlite keeps a service's inbox and outbox in SQLite through
// modernc.org/sqlite (pure Go, no cgo), the embedded default: a handler's
// writes, its inbox record and the events it publishes commit in one
// transaction of the service's own database file.
package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/evgenhq/evgen/runtime/internal/sqlstore"
	"github.com/evgenhq/evgen/runtime/store"
)

// Open opens the SQLite database at path (created if missing) set up for
// the store: WAL journal (readers do not block the writer), a 5 s busy
// timeout (another process holding the write lock is waited for, not an
// error), foreign keys on, and transactions that take the write lock when
// they begin (BEGIN IMMEDIATE), since every inbox transaction writes: a
// read lock upgraded later can fail at once with SQLITE_BUSY.
//
// SQLite allows one writer at a time, so the pool holds one connection:
// goroutines queue for it in Go instead of failing with SQLITE_BUSY, and
// the relay reads only after a producer's transaction has ended. The cost:
// while a transaction is open, everything else on this *sql.DB waits, so a
// handler must make its writes in service.Tx(ctx), never on the *sql.DB,
// or it waits for itself forever.
func Open(path string) (*sql.DB, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("sqlite: database path %q: want a file path without ? or #", path)
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return db, nil
}

// Options configure a Store. The zero value is usable.
type Options struct {
	// TablePrefix starts the name of the store's tables, <prefix>inbox and
	// <prefix>outbox. Default "evgen_".
	TablePrefix string
	// Retention is how long inbox rows, and sent outbox rows, are kept
	// before Prune may delete them. Default store.DefaultRetention.
	Retention time.Duration
	// RelayBatchSize is how many outbox rows the relay reads and sends at
	// a time; a relay that crashes re-sends at most that many. Default 500.
	RelayBatchSize int
	// RelayPollInterval is how often an idle relay looks for rows another
	// process committed; a publish in this process wakes it at once.
	// Default 100ms.
	RelayPollInterval time.Duration
	// Logger receives the relay's warnings. Default slog.Default().
	Logger *slog.Logger
}

// Store is the SQLite inbox and outbox. It implements store.Store and
// store.Pruner.
type Store struct {
	db     *sql.DB
	opts   Options
	inbox  string // quoted table names
	outbox string
	relay  relayState
	sql    sqlstore.Store
}

var _ interface {
	store.Store
	store.Pruner
} = (*Store)(nil)

// New returns a Store on db, best opened with Open. Call Migrate before use.
func New(db *sql.DB, opts Options) (*Store, error) {
	shared := sqlstore.Options(opts)
	if err := shared.Prepare("sqlite", db); err != nil {
		return nil, err
	}
	s := &Store{
		db:     db,
		opts:   Options(shared),
		inbox:  shared.Table("inbox"),
		outbox: shared.Table("outbox"),
		relay:  relayState{wake: make(chan struct{}, 1)},
	}
	s.sql = sqlstore.Store{
		DB:   db,
		Name: "sqlite",
		// Transactions that write are serialised by SQLite, so concurrent
		// claims of one event cannot both win.
		Claim:       s.claimQuery(),
		SetPosition: s.setPositionQuery(),
		GetPosition: `SELECT log_offset FROM ` + s.positionsTable() + ` WHERE consumer = ? AND log = ?`,
		Advance:     s.advanceQuery(),
		Stamped:     true,
	}
	return s, nil
}

// DB is the database the store lives in.
func (s *Store) DB() *sql.DB { return s.db }

// String names the store in logs: "SQLite, tables evgen_*".
func (s *Store) String() string { return "SQLite, tables " + s.opts.TablePrefix + "*" }

// Retention is the configured Options.Retention.
func (s *Store) Retention() time.Duration { return s.opts.Retention }

// Migrate creates the store's tables if they do not exist, and upgrades
// an inbox from before it was keyed by producer, keeping its rows.
func (s *Store) Migrate(ctx context.Context) error {
	return s.sql.InTx(ctx, "migrate", func(tx *sql.Tx) error {
		unkeyed, err := s.detachUnkeyedInbox(ctx, tx)
		if err != nil {
			return err
		}
		for _, q := range append(append(append(append(s.inboxSchema(), s.orderSchema()...), s.outboxSchema()...), s.positionSchema()...), s.setAsideSchema()...) {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
		if unkeyed {
			return s.attachUnkeyedInbox(ctx, tx)
		}
		return nil
	})
}

// Drop deletes the store's tables and everything in them: for tests'
// cleanup, never for a service's database.
func (s *Store) Drop(ctx context.Context) error {
	return s.sql.InTx(ctx, "drop tables", func(tx *sql.Tx) error {
		for _, table := range []string{s.inbox, s.orderTable(), s.outbox, s.positionsTable(), s.setAsideTable(), s.ownerTable()} {
			if _, err := tx.ExecContext(ctx, "DROP TABLE IF EXISTS "+table); err != nil {
				return err
			}
		}
		return nil
	})
}

// Prune deletes inbox rows applied at least olderThan ago and outbox rows
// sent that long ago. Keep inbox rows longer than the longest time an event
// can wait in a queue or a dead-letter queue before it is redelivered or
// redriven: an event whose row was pruned is applied again.
func (s *Store) Prune(ctx context.Context, olderThan time.Duration) (int64, error) {
	cutoff := time.Now().Add(-olderThan).UnixNano()
	var total int64
	err := s.sql.InTx(ctx, "prune", func(tx *sql.Tx) (err error) {
		total, err = sqlstore.Exec(ctx, tx, []sqlstore.Query{
			{Query: `DELETE FROM ` + s.inbox + ` WHERE applied_at <= ?`, Args: []any{cutoff}},
			{Query: `DELETE FROM ` + s.outbox + ` WHERE sent_at <= ?`, Args: []any{cutoff}},
		})
		return err
	})
	return total, err
}
