package sqlstore

import (
	"database/sql"
	"fmt"
	"log/slog"
	"regexp"
	"time"

	"github.com/evgenhq/evgen/runtime/store"
)

// Options are the options both stores take. Each store's Options has these
// fields, in this order, so that it converts to and from this type; each
// documents them for its own database.
type Options struct {
	TablePrefix       string
	Retention         time.Duration
	RelayBatchSize    int
	RelayPollInterval time.Duration
	Logger            *slog.Logger
}

var identifier = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,39}$`)

// Prepare fills in the defaults of o and checks it and db, for the store
// named store (the prefix of its errors).
func (o *Options) Prepare(st string, db *sql.DB) error {
	if db == nil {
		return fmt.Errorf("%s: db is nil", st)
	}
	o.setDefaults()
	if !identifier.MatchString(o.TablePrefix) {
		return fmt.Errorf("%s: table prefix %q: want lower-case letters, digits and _, at most 40", st, o.TablePrefix)
	}
	if o.Retention < 0 || o.RelayBatchSize < 0 || o.RelayPollInterval < 0 {
		return fmt.Errorf("%s: retention, relay batch size and poll interval must not be negative", st)
	}
	return nil
}

func (o *Options) setDefaults() {
	if o.TablePrefix == "" {
		o.TablePrefix = "evgen_"
	}
	if o.Retention == 0 {
		o.Retention = store.DefaultRetention
	}
	if o.RelayBatchSize == 0 {
		// A relay's batch costs one read, one set of pipelined confirms and
		// one commit; 500 rows amortize them (measured in docs/benchmarks.md:
		// publish-evgen-outbox against 100) while a crash re-sends at most
		// that many, which the consumers' inboxes drop.
		o.RelayBatchSize = 500
	}
	if o.RelayPollInterval == 0 {
		o.RelayPollInterval = 100 * time.Millisecond
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Table is the quoted name of the store's table called name.
func (o *Options) Table(name string) string { return `"` + o.TablePrefix + name + `"` }
