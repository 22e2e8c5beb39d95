package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/evgenhq/evgen/runtime/store"
)

// A handler that writes through service.Tx(ctx) costs one database round
// trip per statement, while the runtime claims a whole batch of events in
// one. Queue lets a handler's writes travel together: in concurrent mode
// (the batch claimed with ClaimAll) they are held and sent, the writes of
// every handler of the batch, as one pgx batch right before the commit,
// one round trip for all of them; elsewhere (ordered mode, a batch applied
// again event by event with savepoints, a database not opened with pgx)
// each runs at once, as through service.Tx.
//
// A held write that fails fails the commit, and the runtime then applies
// the batch's events again one by one, where each write runs at once and
// its error is its handler's, retried and dead-lettered as usual. So a
// queued write must not need its result, and a handler that reads what it
// wrote must use service.Tx instead (its writes then go first: Queue's run
// only at the commit).

// Queuer is implemented by this store's inbox transactions; a wrapper of
// them (a store decorator) forwards it so that Queue keeps working.
type Queuer interface {
	// Queue adds a write to the transaction; see Queue.
	Queue(ctx context.Context, query string, args ...any) error
}

// ErrNoQueue is returned by Queue outside a handler, or in the handler of
// a service whose store is not this package's.
var ErrNoQueue = errors.New("postgres: Queue needs the context of a handler of a service on the postgres store")

// Queue adds a write (INSERT, UPDATE, DELETE: no result needed) to the
// inbox transaction of the handler ctx belongs to, to be sent with the
// other handlers' writes in one round trip before the commit. Its error,
// when the write runs at once, is the statement's.
func Queue(ctx context.Context, query string, args ...any) error {
	q, ok := store.InboxTxFrom(ctx).(Queuer)
	if !ok {
		return ErrNoQueue
	}
	return q.Queue(ctx, query, args...)
}

// queue holds the writes of a batch's handlers until the commit, on the
// pgx connection under the transaction.
type queue struct {
	conn    *sql.Conn // the connection the transaction runs on
	held    bool      // the batch was claimed at once: hold writes
	pending pgx.Batch
}

// begin opens tx on a connection of its own, so that queued writes can
// be sent on it through pgx.
func (s *Store) beginOnConn(ctx context.Context) (*sql.Conn, *sql.Tx, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: begin inbox transaction: %w", err)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return nil, nil, errors.Join(fmt.Errorf("postgres: begin inbox transaction: %w", err), conn.Close())
	}
	return conn, tx, nil
}

// Queue implements Queuer.
func (t *inboxTx) Queue(ctx context.Context, query string, args ...any) error {
	if !t.q.held || !t.pgx {
		_, err := t.SQL().ExecContext(ctx, query, args...)
		return err
	}
	t.q.pending.Queue(query, args...)
	return nil
}

// pgxDriver reports whether conn is pgx's, which can send a batch.
func pgxDriver(conn *sql.Conn) bool {
	ok := false
	_ = conn.Raw(func(dc any) error {
		_, ok = dc.(*stdlib.Conn)
		return nil
	})
	return ok
}

// flush sends the held writes in one round trip.
func (t *inboxTx) flush(ctx context.Context) error {
	if t.q.pending.Len() == 0 {
		return nil
	}
	b := t.q.pending
	t.q.pending = pgx.Batch{}
	err := t.q.conn.Raw(func(dc any) error {
		return dc.(*stdlib.Conn).Conn().SendBatch(ctx, &b).Close()
	})
	if err != nil {
		return fmt.Errorf("postgres: %d queued handler writes: %w", b.Len(), err)
	}
	return nil
}

// Commit sends the held writes, then commits them with the claims; the
// connection goes back to the pool either way. A savepoint still held is
// dropped: nothing came after it.
func (t *inboxTx) Commit() error {
	t.sp = ""
	var err error
	if err = t.flush(t.ctx); err != nil {
		err = errors.Join(err, t.InboxTx.Rollback())
	} else {
		err = t.InboxTx.Commit()
	}
	return errors.Join(err, t.release())
}

// Rollback drops the held writes and the transaction.
func (t *inboxTx) Rollback() error {
	t.q.pending, t.sp = pgx.Batch{}, ""
	return errors.Join(t.InboxTx.Rollback(), t.release())
}

func (t *inboxTx) release() error {
	if t.q.conn == nil {
		return nil
	}
	conn := t.q.conn
	t.q.conn = nil
	if err := conn.Close(); err != nil && !errors.Is(err, sql.ErrConnDone) {
		return fmt.Errorf("postgres: release inbox connection: %w", err)
	}
	return nil
}
