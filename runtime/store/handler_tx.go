package store

import (
	"context"

	"github.com/evgenhq/evgen/runtime"
)

// InboxTxFrom returns the inbox transaction of the handler ctx belongs to,
// for a store's helpers that handlers call (postgres.Queue); nil outside
// a handler, or when the engine that called it does not say.
func InboxTxFrom(ctx context.Context) InboxTx {
	h, ok := runtime.HandlingFrom(ctx).(interface{ InboxTx() InboxTx })
	if !ok {
		return nil
	}
	return h.InboxTx()
}
