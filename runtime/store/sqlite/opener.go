package sqlite

import (
	"context"
	"fmt"

	"github.com/evgenhq/evgen/runtime/store"
	"github.com/evgenhq/evgen/runtime/store/open"
)

// Importing this package lets open.Open open SQLite file paths.
func init() { open.Register("", openStore) }

// openStore is the opener open.Open calls for a file path.
func openStore(_ context.Context, path string, c open.Config) (store.Store, error) {
	db, err := Open(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	st, err := New(db, Options{Logger: c.Logger, TablePrefix: c.TablePrefix})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return st, nil
}
