package sqlite_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime/store"
	"github.com/evgenhq/evgen/runtime/store/sqlite"
	"github.com/evgenhq/evgen/runtime/store/storetest"
)

// quiet drops the relay's warnings: the tests make publishes fail on purpose.
var quiet = slog.New(slog.DiscardHandler)

func newStore(t testing.TB, opts sqlite.Options) *sqlite.Store {
	t.Helper()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "service.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := sqlite.New(db, opts)
	if err != nil {
		t.Fatalf("new store: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for range 2 { // Migrate must be idempotent
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("migrate: %v", err)
		}
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return newStore(t, sqlite.Options{RelayBatchSize: 10, RelayPollInterval: 20 * time.Millisecond, Logger: quiet})
	})
}

func TestOpenRejectsBadPath(t *testing.T) {
	for _, path := range []string{"", "a.db?mode=ro", "a#b"} {
		if db, err := sqlite.Open(path); err == nil {
			db.Close()
			t.Errorf("Open(%q): want an error", path)
		}
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	s := newStore(t, sqlite.Options{})
	for _, opts := range []sqlite.Options{
		{TablePrefix: `x"; DROP TABLE users; --`},
		{RelayBatchSize: -1},
	} {
		if _, err := sqlite.New(s.DB(), opts); err == nil {
			t.Errorf("New(%+v): want an error", opts)
		}
	}
	if _, err := sqlite.New(nil, sqlite.Options{}); err == nil {
		t.Error("New(nil db): want an error")
	}
}

func TestDrop(t *testing.T) {
	s := newStore(t, sqlite.Options{})
	ctx := context.Background()
	if err := s.Drop(ctx); err != nil {
		t.Fatalf("drop: %v", err)
	}
	var n int
	if err := s.DB().QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name LIKE 'evgen_%'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d evgen tables left after Drop", n)
	}
}

func TestOutboxToRabbitMQ(t *testing.T) {
	url := testenv.AMQPURL(t)
	storetest.RunBroker(t, url, func(t *testing.T) store.Store {
		return newStore(t, sqlite.Options{RelayPollInterval: 20 * time.Millisecond, Logger: quiet})
	})
}
