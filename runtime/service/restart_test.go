package service_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime/store/memory"
)

// Issue 4, test 6: RabbitMQ's app is stopped and started while events are
// published and consumed. Every event whose Publish returned nil is
// handled, and both sides reconnect by themselves.
func TestBrokerRestartLosesNoConfirmedEvent(t *testing.T) {
	url := testenv.ExclusiveBroker(t)
	b := brokerAt(t, url)
	// Registered after brokerAt's cleanup, so it runs before it (and before
	// the broker lock is released): the broker is up again whatever
	// happened, and ready for the topology to be deleted.
	t.Cleanup(func() {
		if err := rabbitmqctl("start_app"); err != nil {
			t.Errorf("restart RabbitMQ: %v", err)
		}
		if err := rabbitmqctl("await_startup"); err != nil {
			t.Errorf("await RabbitMQ: %v", err)
		}
	})

	var rec recorder
	billing, _ := b.Service(t, billingContract, memory.New())
	if err := billing.Register(rec.Handler()); err != nil {
		t.Fatal(err)
	}
	consumer := start(t, billing)
	ready(t, billing)
	users, _ := b.Service(t, usersContract, memory.New())

	var (
		mu        sync.Mutex
		confirmed []string
		failed    atomic.Int64
		seq       atomic.Int64
		stop      = make(chan struct{})
		wg        sync.WaitGroup
		errs      = make(chan error, 4) // publishers report here: only the test goroutine may fail t
	)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				msg, err := encodeEvent(userRegistered{UserID: fmt.Sprint(seq.Add(1))})
				if err != nil {
					errs <- err
					return
				}
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				err = users.Publish(ctx, msg)
				cancel()
				if err != nil {
					failed.Add(1)
					continue
				}
				mu.Lock()
				confirmed = append(confirmed, msg.UUID)
				mu.Unlock()
			}
		}()
	}
	// Registered after the services' cleanups, so it runs before them: the
	// publishers stop before the service they use is closed, whatever failed.
	stopPublishers := sync.OnceFunc(func() { close(stop); wg.Wait() })
	t.Cleanup(stopPublishers)
	countConfirmed := func() int { mu.Lock(); defer mu.Unlock(); return len(confirmed) }

	testenv.Eventually(t, 10*time.Second, "events flowing before the restart", func() bool { return countConfirmed() >= 200 && rec.Len() >= 100 })
	if err := rabbitmqctl("stop_app"); err != nil {
		t.Fatal(err)
	}
	before := countConfirmed()
	if err := rabbitmqctl("start_app"); err != nil {
		t.Fatal(err)
	}
	if err := rabbitmqctl("await_startup"); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 60*time.Second, "publishing to recover after the restart", func() bool { return countConfirmed() >= before+200 })
	stopPublishers()
	close(errs)
	for err := range errs {
		t.Fatalf("publisher: %v", err)
	}

	mu.Lock()
	want := append([]string(nil), confirmed...)
	mu.Unlock()
	testenv.Eventually(t, 60*time.Second, "every confirmed event handled", func() bool {
		_, counts := rec.Snapshot()
		for _, id := range want {
			if counts[id] == 0 {
				return false
			}
		}
		return true
	})
	b.Drain(t, []string{"billing"}, consumer)
	_, counts := rec.Snapshot()
	for id, n := range counts {
		if n != 1 {
			t.Errorf("event %s handled %d times", id, n)
		}
	}
	t.Logf("%d events confirmed (%d before the restart), %d publishes gave up", len(want), before, failed.Load())
}
