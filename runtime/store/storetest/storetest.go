// Package storetest is the conformance suite every store.Store runs: the
// inbox and outbox behaviour the consumer and the relay rely on, written
// once for the memory, SQLite and PostgreSQL stores.
package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime/store"
)

// Backlogger is implemented by stores that can list the outbox events
// committed but not yet marked sent, in relay order. The suite uses it to
// check that a restarted relay re-sends exactly what was not marked.
type Backlogger interface {
	Backlog(ctx context.Context) ([]string, error)
}

// NewStore returns a fresh, migrated store with tables of its own, removed
// when t ends.
type NewStore func(t *testing.T) store.Store

// Run runs the whole suite against stores made by newStore.
func Run(t *testing.T, newStore NewStore) {
	t.Run("inbox", func(t *testing.T) { RunInbox(t, newStore) })
	t.Run("order", func(t *testing.T) { RunOrder(t, newStore) })
	t.Run("outbox", func(t *testing.T) { RunOutbox(t, newStore) })
	t.Run("setaside", func(t *testing.T) { RunSetAside(t, newStore) })
}

// waitTimeout bounds every wait for a condition, so a broken store fails
// instead of hanging the test binary.
const waitTimeout = 20 * time.Second

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	t.Cleanup(cancel)
	return ctx
}

// effects is a table of the handler's own writes, in the store's database,
// so that tests can see them commit or roll back with the claims.
type effects struct {
	db    *sql.DB
	table string
}

func newEffects(t *testing.T, s store.Store) *effects {
	t.Helper()
	if s.DB() == nil {
		return nil
	}
	e := &effects{db: s.DB(), table: testenv.UniqueName("storetest_effects")}
	if _, err := e.db.Exec("CREATE TABLE " + e.table + " (event_id TEXT NOT NULL)"); err != nil {
		t.Fatalf("create effects table: %v", err)
	}
	t.Cleanup(func() {
		if _, err := e.db.Exec("DROP TABLE " + e.table); err != nil {
			t.Errorf("drop effects table: %v", err)
		}
	})
	return e
}

// write records id as a handler would, in tx. IDs are the tests' own
// constants, so they are safe to inline; that keeps the statement the
// same for every SQL dialect.
func (e *effects) write(t *testing.T, tx store.InboxTx, id string) {
	t.Helper()
	if e == nil {
		return
	}
	if _, err := tx.SQL().Exec(fmt.Sprintf("INSERT INTO %s (event_id) VALUES ('%s')", e.table, id)); err != nil {
		t.Fatalf("write effect %s: %v", id, err)
	}
}

// ids returns the committed effects, sorted.
func (e *effects) ids(t *testing.T) []string {
	t.Helper()
	rows, err := e.db.Query("SELECT event_id FROM " + e.table + " ORDER BY event_id")
	if err != nil {
		t.Fatalf("read effects: %v", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatalf("read effects: %v", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read effects: %v", err)
	}
	return ids
}

func newMessage(i int) *message.Message {
	m := message.NewMessage(fmt.Sprintf("0190a1b2-0000-7000-8000-%012d", i), []byte(fmt.Sprintf(`{"n":%d,"name":"Zoë \"quoted\""}`, i)))
	m.Metadata.Set("cloudEvents:type", "users.UserRegistered")
	m.Metadata.Set("cloudEvents:id", m.UUID)
	m.Metadata.Set("x-evgen-test", fmt.Sprintf("value %d with ünïcode, \"quotes\" and \n newline", i))
	return m
}
