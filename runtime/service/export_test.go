package service

import (
	"testing"
	"time"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/store"
)

// CrashHooks stop a service's worker where a crash matters to the inbox;
// external tests set them with SetCrashHooks.
type CrashHooks struct {
	BeforeCommit func(tx store.InboxTx, m runtime.Meta)
	BeforeAck    func(m runtime.Meta)
}

// SetCrashHooks installs h on s before Run.
func SetCrashHooks(s *Service, h CrashHooks) {
	s.hooks = crashHooks{beforeCommit: h.BeforeCommit, beforeAck: h.BeforeAck}
}

// SetMigrationRetry makes a consumer look again every d whether an older
// version's queue it could not move is free, until t ends.
func SetMigrationRetry(t testing.TB, d time.Duration) {
	prev := migrationRetry
	migrationRetry = d
	t.Cleanup(func() { migrationRetry = prev })
}
