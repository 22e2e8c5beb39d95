package runtime_test

import (
	"testing"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/storetest"
)

func TestMemoryStore(t *testing.T) {
	storetest.Run(t, func(*testing.T) runtime.Store { return runtime.NewMemoryStore() })
}
