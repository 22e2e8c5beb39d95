package memory_test

import (
	"testing"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime/store"
	"github.com/evgenhq/evgen/runtime/store/memory"
	"github.com/evgenhq/evgen/runtime/store/storetest"
)

func TestMemoryStorePoisonRowsOverRabbitMQ(t *testing.T) {
	url := testenv.AMQPURL(t)
	storetest.RunBrokerSetAside(t, url, func(*testing.T) store.Store { return memory.New() })
}
