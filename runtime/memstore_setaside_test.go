package runtime_test

import (
	"testing"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/store/storetest"
)

func TestMemoryStorePoisonRowsOverRabbitMQ(t *testing.T) {
	url := testenv.AMQPURL(t)
	storetest.RunBrokerSetAside(t, url, func(*testing.T) runtime.Store { return runtime.NewMemoryStore() })
}
