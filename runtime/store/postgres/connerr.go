package postgres

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/evgenhq/evgen/runtime/store"
)

var _ store.ConnectionErrors = (*Store)(nil)

// ConnectionLost reports pgx's errors for a connection that closed under a
// statement ("conn closed"), or a request that failed before it reached
// the server, which database/sql does not turn into driver.ErrBadConn. The
// runtime then holds the event while the database does not answer,
// instead of using up its attempts; see store.ConnectionErrors.
func (s *Store) ConnectionLost(err error) bool {
	return errors.Is(err, pgconn.ErrConnClosed) || pgconn.SafeToRetry(err)
}
