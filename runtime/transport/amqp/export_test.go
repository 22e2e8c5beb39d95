package amqp

import (
	"testing"
	"time"
)

// SetMigrationRetry makes a consumer look again every d whether an older
// version's queue it could not move is free, until t ends.
func SetMigrationRetry(t testing.TB, d time.Duration) {
	prev := migrationRetry
	migrationRetry = d
	t.Cleanup(func() { migrationRetry = prev })
}
