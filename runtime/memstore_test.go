package runtime_test

import (
	"testing"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/storetest"
)

func TestMemoryStore(t *testing.T) {
	storetest.Run(t, func(*testing.T) runtime.Store { return runtime.NewMemoryStore() })
}

func TestMemoryStoreToRabbitMQ(t *testing.T) {
	url := testenv.AMQPURL(t)
	storetest.RunBroker(t, url, func(*testing.T) runtime.Store { return runtime.NewMemoryStore() })
}
