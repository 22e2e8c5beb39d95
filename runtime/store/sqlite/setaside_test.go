package sqlite_test

import (
	"testing"
	"time"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime/store"
	"github.com/evgenhq/evgen/runtime/store/sqlite"
	"github.com/evgenhq/evgen/runtime/store/storetest"
)

func TestPoisonRowsOverRabbitMQ(t *testing.T) {
	url := testenv.AMQPURL(t)
	storetest.RunBrokerSetAside(t, url, func(t *testing.T) store.Store {
		return newStore(t, sqlite.Options{RelayPollInterval: 20 * time.Millisecond, Logger: quiet})
	})
}
