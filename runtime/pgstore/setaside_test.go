package pgstore_test

import (
	"testing"
	"time"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/pgstore"
	"github.com/evgenhq/evgen/runtime/storetest"
)

func TestPoisonRowsOverRabbitMQ(t *testing.T) {
	url := testenv.AMQPURL(t)
	storetest.RunBrokerSetAside(t, url, func(t *testing.T) runtime.Store {
		return newStore(t, pgstore.Options{RelayBatchSize: 10, RelayPollInterval: 20 * time.Millisecond, Logger: quiet})
	})
}
