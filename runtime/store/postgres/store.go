// Package postgres keeps a service's inbox and outbox in PostgreSQL, in the
// same database as the service's own tables, so that a handler's writes,
// its inbox record and the events it publishes commit in one transaction.
//
// Open the database with the pgx database/sql driver ("pgx", from
// github.com/jackc/pgx/v5/stdlib): handlers get a *sql.Tx.
package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"

	"github.com/evgenhq/evgen/runtime/internal/sqlstore"
	"github.com/evgenhq/evgen/runtime/store"
)

// Options configure a Store. The zero value is usable.
type Options struct {
	// TablePrefix starts the name of every table the store creates:
	// <prefix>inbox, <prefix>outbox and <prefix>outbox_offsets. Default
	// "evgen_". Tests give each store a unique prefix.
	TablePrefix string
	// Retention is how long inbox rows, and sent outbox rows, are kept
	// before Prune may delete them. Default store.DefaultRetention.
	Retention time.Duration
	// RelayBatchSize is how many outbox rows the relay reads per database
	// transaction and sends at once; a relay that crashes re-sends at most
	// that many. Default 500.
	RelayBatchSize int
	// RelayPollInterval is how often an idle relay looks for new rows.
	// Default 100ms.
	RelayPollInterval time.Duration
	// Logger receives the relay's logs. Default slog.Default().
	Logger *slog.Logger
}

// Store is the PostgreSQL inbox and outbox. It implements store.Store and
// store.Pruner.
type Store struct {
	db      *sql.DB
	opts    Options
	log     watermill.LoggerAdapter
	inbox   string // quoted table names
	outbox  string
	offsets string
	schema  wsql.DefaultPostgreSQLSchema
	offset  wsql.DefaultPostgreSQLOffsetsAdapter
	sql     sqlstore.Store
}

var _ interface {
	store.Store
	store.Pruner
} = (*Store)(nil)

// New returns a Store on db. Call Migrate before use.
func New(db *sql.DB, opts Options) (*Store, error) {
	shared := sqlstore.Options(opts)
	if err := shared.Prepare("postgres", db); err != nil {
		return nil, err
	}
	opts = Options(shared)
	s := &Store{
		db:      db,
		opts:    opts,
		log:     watermill.NewSlogLogger(opts.Logger),
		inbox:   shared.Table("inbox"),
		outbox:  shared.Table("outbox"),
		offsets: shared.Table("outbox_offsets"),
	}
	s.schema = wsql.DefaultPostgreSQLSchema{
		GenerateMessagesTableName: func(string) string { return s.outbox },
		SubscribeBatchSize:        opts.RelayBatchSize,
		InitializeSchemaLock:      lockKey(opts.TablePrefix),
	}
	s.offset = wsql.DefaultPostgreSQLOffsetsAdapter{
		GenerateMessagesOffsetsTableName: func(string) string { return s.offsets },
	}
	s.sql = sqlstore.Store{
		DB:          db,
		Name:        "postgres",
		Claim:       s.claimQuery(),
		SetPosition: s.setPositionQuery(),
		GetPosition: `SELECT log_offset FROM ` + s.positionsTable() + ` WHERE consumer = $1 AND log = $2`,
		Advance:     s.advanceQuery(),
	}
	return s, nil
}

// lockKey is the advisory lock that serialises Migrate across processes:
// concurrent CREATE TABLE IF NOT EXISTS can still fail on a unique index.
func lockKey(prefix string) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte("evgen schema:" + prefix))
	return int(h.Sum32() & 0x7fffffff)
}

// DB is the database the store lives in.
func (s *Store) DB() *sql.DB { return s.db }

// String names the store in logs: "PostgreSQL, tables evgen_*".
func (s *Store) String() string { return "PostgreSQL, tables " + s.opts.TablePrefix + "*" }

// Retention is the configured Options.Retention.
func (s *Store) Retention() time.Duration { return s.opts.Retention }

// Migrate creates the store's tables if they do not exist, in one
// transaction under an advisory lock, so replicas may start together.
func (s *Store) Migrate(ctx context.Context) error {
	queries, err := s.schema.SchemaInitializingQueries(wsql.SchemaInitializingQueriesParams{Topic: outboxTopic})
	if err != nil {
		return fmt.Errorf("postgres: outbox schema: %w", err)
	}
	offsets, err := s.offset.SchemaInitializingQueries(wsql.OffsetsSchemaInitializingQueriesParams{Topic: outboxTopic})
	if err != nil {
		return fmt.Errorf("postgres: outbox offsets schema: %w", err)
	}
	all := append(shared(queries), shared(offsets)...)
	all = append(all, s.inboxSchema()...)
	all = append(all, s.orderSchema()...)
	all = append(all, s.positionSchema()...)
	all = append(all, s.setAsideSchema()...)
	return s.sql.InTx(ctx, "migrate", func(tx *sql.Tx) error {
		_, err := sqlstore.Exec(ctx, tx, all)
		return err
	})
}

// Drop deletes the store's tables and everything in them: for tests'
// cleanup, never for a service's database.
func (s *Store) Drop(ctx context.Context) error {
	q := fmt.Sprintf("DROP TABLE IF EXISTS %s, %s, %s, %s, %s, %s, %s", s.inbox, s.orderTable(), s.outbox, s.offsets, s.positionsTable(), s.setAsideTable(), s.ownerTable())
	if _, err := s.db.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("postgres: drop tables: %w", err)
	}
	return nil
}

// Prune deletes inbox rows applied at least olderThan ago and outbox rows
// the relay sent that long ago. Keep inbox rows longer than the longest
// time an event can wait in a queue or a dead-letter queue before it is
// redelivered or redriven: an event whose row was pruned is applied again.
func (s *Store) Prune(ctx context.Context, olderThan time.Duration) (int64, error) {
	var total int64
	err := s.sql.InTx(ctx, "prune", func(tx *sql.Tx) (err error) {
		total, err = sqlstore.Exec(ctx, tx, []sqlstore.Query{s.pruneInbox(olderThan), s.pruneOutbox(olderThan)})
		return err
	})
	return total, err
}

// shared converts Watermill's schema queries, which have the same fields,
// to the shared code's.
func shared(queries []wsql.Query) []sqlstore.Query {
	out := make([]sqlstore.Query, len(queries))
	for i, q := range queries {
		out[i] = sqlstore.Query(q)
	}
	return out
}
