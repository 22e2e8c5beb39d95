package postgres_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime/store"
	"github.com/evgenhq/evgen/runtime/store/postgres"
	"github.com/evgenhq/evgen/runtime/store/storetest"
)

// quiet drops the relay's logs: the tests make its publishes fail on
// purpose, and Watermill logs each failure with a stack trace.
var quiet = slog.New(slog.DiscardHandler)

// newStore returns a migrated store with tables of its own, dropped when t
// ends.
func newStore(t testing.TB, opts postgres.Options) *postgres.Store {
	t.Helper()
	db := testenv.Postgres(t)
	if opts.TablePrefix == "" {
		opts.TablePrefix = testenv.UniqueName("evgen_t") + "_"
	}
	s, err := postgres.New(db, opts)
	if err != nil {
		t.Fatalf("new store: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	t.Cleanup(func() {
		if err := s.Drop(context.Background()); err != nil {
			t.Errorf("drop: %v", err)
		}
	})
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate again (must be idempotent): %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		// A small batch, so that a relay killed mid-way has marked some
		// events sent and not others.
		return newStore(t, postgres.Options{RelayBatchSize: 10, RelayPollInterval: 20 * time.Millisecond, Logger: quiet})
	})
}

func TestNewRejectsBadOptions(t *testing.T) {
	db := testenv.Postgres(t)
	for _, opts := range []postgres.Options{
		{TablePrefix: `x"; DROP TABLE users; --`},
		{TablePrefix: "Upper"},
		{Retention: -time.Hour},
	} {
		if _, err := postgres.New(db, opts); err == nil {
			t.Errorf("New(%+v): want an error", opts)
		}
	}
	if _, err := postgres.New(nil, postgres.Options{}); err == nil {
		t.Error("New(nil db): want an error")
	}
}

func TestOutboxToRabbitMQ(t *testing.T) {
	url := testenv.AMQPURL(t)
	storetest.RunBroker(t, url, func(t *testing.T) store.Store {
		return newStore(t, postgres.Options{RelayBatchSize: 10, RelayPollInterval: 20 * time.Millisecond, Logger: quiet})
	})
}
