package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/evgenhq/evgen/runtime"
)

// Inbox remembers which events a consuming service has applied, in the
// service's own database, so that each event takes effect once.
type Inbox interface {
	// Begin opens the unit of work in which one delivery, or a batch of
	// deliveries, is checked, handled and recorded.
	Begin(ctx context.Context) (InboxTx, error)
}

// EventRef names one event to the inbox: the producer that published it
// and its ID. An ID is unique only within its producer (WithID lets a
// producer choose it), so the inbox keys applied events by both: the same
// ID from two producers is two events.
type EventRef struct {
	Producer string // "users"
	ID       string
}

// InboxTx is one open inbox transaction.
type InboxTx interface {
	// Claim records e as applied by consumer. It returns false, and
	// records nothing, when the event was applied before: a duplicate.
	Claim(ctx context.Context, consumer string, e EventRef) (bool, error)
	// SQL is the transaction the handler makes its own writes in, so that
	// they commit with the claim; nil for the in-memory inbox.
	SQL() *sql.Tx
	// Savepoint marks a point that RollbackTo returns to, so that one
	// failing event in a batch undoes only its own writes and claim.
	Savepoint(ctx context.Context, name string) error
	RollbackTo(ctx context.Context, name string) error
	Commit() error
	Rollback() error
}

// BatchClaimer is implemented by inbox transactions that claim many events
// in one statement, saving a database round trip per event. Such claims come
// before any savepoint set after them, so RollbackTo does not undo them: a
// consumer that claims a batch this way and sees a handler fail rolls the
// whole transaction back and handles the batch again event by event.
type BatchClaimer interface {
	// ClaimAll claims events for consumer as Claim would, in order;
	// won[i] reports whether events[i] was new. An event repeated in the
	// list wins at most once.
	ClaimAll(ctx context.Context, consumer string, events []EventRef) (won []bool, err error)
}

// Outbox lets a producer write events in the same transaction as its own
// data; a relay forwards them to the broker after the commit.
type Outbox interface {
	// Publisher returns a Publisher that writes into tx. Nothing is sent
	// unless tx commits.
	Publisher(tx *sql.Tx) runtime.Publisher
	// Relay forwards committed events to pub, keeping their IDs, until ctx
	// ends. A crash re-sends at most what was not marked sent.
	Relay(ctx context.Context, pub runtime.Publisher) error
}

// Store is a service's inbox and outbox in one database.
type Store interface {
	Inbox
	Outbox
	// Migrate creates the store's tables if they do not exist.
	Migrate(ctx context.Context) error
	// DB is the database the store lives in, for the service's own tables.
	DB() *sql.DB
}

// DefaultRetention is how long stores keep inbox rows (and sent outbox
// rows) unless configured otherwise. An event redelivered or redriven from a
// dead-letter queue after its inbox row was pruned is applied again, so keep
// it longer than the longest queue backlog or redrive window.
const DefaultRetention = 7 * 24 * time.Hour

// Pruner is implemented by stores whose inbox rows expire. A service calls
// Prune(ctx, Retention()) now and then.
type Pruner interface {
	// Prune deletes inbox rows applied at least olderThan ago, and outbox
	// rows already sent that long ago, and returns how many it deleted.
	Prune(ctx context.Context, olderThan time.Duration) (int64, error)
	// Retention is the configured age after which rows may be pruned.
	Retention() time.Duration
}

var savepointName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// CheckSavepointName reports whether name can be used as an SQL savepoint
// name as is. Stores interpolate it into SAVEPOINT statements (which take
// no parameters), so anything but a plain identifier is refused.
func CheckSavepointName(name string) error {
	if !savepointName.MatchString(name) {
		return fmt.Errorf("savepoint name %q: want a letter or _ followed by up to 62 letters, digits or _", name)
	}
	return nil
}

// ConnectionErrors is implemented by stores whose database driver reports
// a lost connection with errors of its own, so that the runtime recognizes
// them without importing the driver. The postgres store implements it for pgx's
// "conn closed".
type ConnectionErrors interface {
	// ConnectionLost reports whether err says the connection to the
	// database was lost or refused.
	ConnectionLost(err error) bool
}

// ErrClaimConflict fails a claim that would wait for a concurrent
// transaction while its own holds claims.
var ErrClaimConflict = errors.New("held by a concurrent transaction that this one may be blocking")
