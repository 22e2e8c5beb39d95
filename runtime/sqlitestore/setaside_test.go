package sqlitestore_test

import (
	"testing"
	"time"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/sqlitestore"
	"github.com/evgenhq/evgen/runtime/storetest"
)

func TestPoisonRowsOverRabbitMQ(t *testing.T) {
	url := testenv.AMQPURL(t)
	storetest.RunBrokerSetAside(t, url, func(t *testing.T) runtime.Store {
		return newStore(t, sqlitestore.Options{RelayPollInterval: 20 * time.Millisecond, Logger: quiet})
	})
}
