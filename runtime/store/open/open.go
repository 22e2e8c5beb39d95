// Package open opens a service's store from one DSN, the way a
// service's -db flag names it: a postgres:// (or postgresql://) URL for
// PostgreSQL, anything else the path of a SQLite file. It is the one-liner
// between a flag and service.Config.Store:
//
//	import (
//		"github.com/evgenhq/evgen/runtime/store/open"
//		_ "github.com/evgenhq/evgen/runtime/store/sqlite"   // file paths
//		_ "github.com/evgenhq/evgen/runtime/store/postgres" // postgres:// URLs
//	)
//
//	store, err := open.Open(ctx, *dbFlag, open.WithLogger(log))
//	if err != nil { ... }
//	defer store.DB().Close()
//
// Each store registers its opener when its package is imported, as
// database/sql drivers do, so a program links only the stores it imports:
// one that opens SQLite files only does not compile pgx (about a quarter
// of the demo's first build).
//
// The service's own tables go in store.DB(), next to the inbox and outbox,
// so that one transaction covers the service's writes and its events.
package open

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/evgenhq/evgen/runtime/store"
)

// Config is what Open's options set, as an Opener receives it.
type Config struct {
	// Logger is the logger of the store's outbox relay; nil means
	// slog.Default().
	Logger *slog.Logger
	// TablePrefix is the prefix of the store's tables; "" means the
	// store's default, "evgen_".
	TablePrefix string
}

// Opener opens a store on the database dsn names, without migrating it.
type Opener func(ctx context.Context, dsn string, c Config) (store.Store, error)

var (
	openersMu sync.RWMutex
	openers   = map[string]Opener{}
)

// Register makes Open use opener for DSNs that are URLs of scheme
// ("postgres" for postgres://...), or for file paths when scheme is "".
// Stores call it when their package is initialised; it panics when a
// scheme is registered twice, as database/sql.Register does, since that
// is a mistake in the program, not in its input.
func Register(scheme string, opener Opener) {
	openersMu.Lock()
	defer openersMu.Unlock()
	if opener == nil {
		panic("open: Register of a nil opener for scheme " + fmt.Sprintf("%q", scheme))
	}
	if _, dup := openers[scheme]; dup {
		panic(fmt.Sprintf("open: Register called twice for scheme %q", scheme))
	}
	openers[scheme] = opener
}

// opener returns the opener registered for scheme.
func opener(scheme string) (Opener, bool) {
	openersMu.RLock()
	defer openersMu.RUnlock()
	o, ok := openers[scheme]
	return o, ok
}

// schemes lists the URL schemes registered, sorted, for errors.
func schemes() []string {
	openersMu.RLock()
	defer openersMu.RUnlock()
	var list []string
	for s := range openers {
		if s != "" {
			list = append(list, s+"://")
		}
	}
	slices.Sort(list)
	return list
}

// Option configures Open.
type Option func(*options)

type options struct {
	logger      *slog.Logger
	tablePrefix string
}

// WithLogger sets the logger of the store's outbox relay; the default is
// slog.Default().
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithTablePrefix sets the prefix of the store's inbox and outbox tables
// (see postgres.Options.TablePrefix); the default is "evgen_".
func WithTablePrefix(p string) Option { return func(o *options) { o.tablePrefix = p } }

// Open opens the database dsn names and returns a store on it whose inbox
// and outbox tables exist (Migrate has run), so that a service may write
// to its outbox before service.Service.Run starts. Close store.DB() when
// done.
//
//   - postgres://user@host:5432/db?sslmode=disable: PostgreSQL, through
//     pgx, once runtime/store/postgres is imported (see postgres.Open).
//     With search_path=<schema> in the query (several services in one
//     database, each in its own schema) the first schema of the path is
//     created if missing.
//   - any other DSN without "://": a SQLite file path, created if missing,
//     once runtime/store/sqlite is imported (see sqlite.Open).
func Open(ctx context.Context, dsn string, opts ...Option) (store.Store, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	st, err := open(ctx, dsn, o)
	if err != nil {
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		st.DB().Close()
		return nil, fmt.Errorf("open: create the inbox and outbox tables: %w", err)
	}
	return st, nil
}

// open picks the registered store for dsn's kind, without migrating it.
func open(ctx context.Context, dsn string, o options) (store.Store, error) {
	scheme, _, isURL := strings.Cut(dsn, "://")
	if strings.TrimSpace(dsn) == "" {
		return nil, fmt.Errorf("open: no database given: want a SQLite file path or a postgres:// URL")
	}
	if !isURL {
		scheme = ""
	}
	if scheme == "postgresql" {
		scheme = "postgres"
	}
	op, ok := opener(scheme)
	if !ok {
		return nil, notRegistered(scheme)
	}
	return op(ctx, dsn, Config{Logger: o.logger, TablePrefix: o.tablePrefix})
}

// storePackages are the stores of this module, by the scheme they
// register, for the error that tells a program which one to import.
var storePackages = map[string]string{
	"":         "github.com/evgenhq/evgen/runtime/store/sqlite",
	"postgres": "github.com/evgenhq/evgen/runtime/store/postgres",
}

// notRegistered says that no store opens DSNs of scheme in this program,
// and how to make one.
func notRegistered(scheme string) error {
	kind := scheme + ":// URLs"
	if scheme == "" {
		kind = "SQLite file paths"
	}
	if pkg, ok := storePackages[scheme]; ok {
		return fmt.Errorf("open: no store for %s in this program: import _ %q (in main) to open them", kind, pkg)
	}
	return fmt.Errorf("open: database URL scheme %q is not supported: want a SQLite file path or a postgres:// URL (registered here: %v)", scheme, schemes())
}
