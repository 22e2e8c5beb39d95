package evgentest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"sync/atomic"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/store/sqlite"
)

// databases numbers the in-memory databases of a test binary, so that
// each harness has its own.
var databases atomic.Int64

// openMemory opens a new SQLite database in memory, set up as sqlite.Open
// sets up a file (one connection, transactions that take the write lock
// when they begin, foreign keys on), so that handlers meet the locking
// they meet in production. The database lives as long as db is open.
func openMemory() (*sql.DB, error) {
	q := url.Values{}
	q.Set("mode", "memory")
	q.Set("cache", "shared")
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	name := fmt.Sprintf("file:evgentest-%d?%s", databases.Add(1), q.Encode())
	db, err := sql.Open("sqlite", name)
	if err != nil {
		return nil, fmt.Errorf("evgentest: open SQLite in memory: %w", err)
	}
	db.SetMaxOpenConns(1)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("evgentest: open SQLite in memory: %w", err)
	}
	return db, nil
}

// recordingStore is the SQLite store with its outbox publisher watched:
// what a handler publishes is reported, with the event it handles, to
// published. Embedding the store keeps the optional interfaces it
// implements.
type recordingStore struct {
	*sqlite.Store
	published func(incoming string, msgs []*message.Message)
}

// newStore opens the SQLite store on db.
func newStore(db *sql.DB, published func(string, []*message.Message)) (*recordingStore, error) {
	st, err := sqlite.New(db, sqlite.Options{})
	if err != nil {
		return nil, fmt.Errorf("evgentest: SQLite store: %w", err)
	}
	if err := st.Migrate(context.Background()); err != nil {
		return nil, fmt.Errorf("evgentest: SQLite store: %w", err)
	}
	return &recordingStore{Store: st, published: published}, nil
}

// Publisher writes into tx's outbox, as the store's own does, and reports
// what a handler published.
func (s *recordingStore) Publisher(tx *sql.Tx) runtime.Publisher {
	return recordingPublisher{inner: s.Store.Publisher(tx), published: s.published}
}

type recordingPublisher struct {
	inner     runtime.Publisher
	published func(incoming string, msgs []*message.Message)
}

func (p recordingPublisher) Publish(ctx context.Context, msgs ...*message.Message) error {
	if err := p.inner.Publish(ctx, msgs...); err != nil {
		return err
	}
	if in, ok := runtime.IncomingMeta(ctx); ok {
		copies := make([]*message.Message, len(msgs))
		for i, m := range msgs {
			copies[i] = m.Copy()
		}
		p.published(in.ID, copies)
	}
	return nil
}
