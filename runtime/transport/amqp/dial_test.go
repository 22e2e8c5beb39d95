package amqp_test

import (
	"strings"
	"testing"
	"time"

	"github.com/evgenhq/evgen/internal/servicetest"
	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store/memory"
)

// Issue 10, item 9: AMQP takes several URLs, and NewService says what is
// wrong with them rather than failing at the first connection.
func TestAMQPURLsAreCheckedAtNewService(t *testing.T) {
	for _, tc := range []struct {
		name string
		urls []string
		want string
	}{
		{"none", nil, "no broker URL: pass at least one"},
		{"not amqp", []string{"amqp://127.0.0.1:5672/", "http://user:secret@127.0.0.1:15672/"}, `AMQP URL 2 of 2 ("http://user:xxxxx@127.0.0.1:15672/")`},
		{"not a URL", []string{"amqp://127.0.0.1:5672/", "amqp://[::1"}, "AMQP URL 2 of 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := service.New(service.Config{Contract: servicetest.BillingContract, Transport: service.AMQP(tc.urls...), Store: memory.New()})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("NewService: %v, want an error containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}

// Issue 10, item 9: a node that refuses connections is skipped at once for
// the next URL; the backoff (a minute here) waits only after every URL
// failed.
func TestDeadNodeIsSkippedWithoutBackoff(t *testing.T) {
	b := servicetest.NewBroker(t)
	slow := service.Backoff{Initial: time.Minute, Max: time.Minute}
	billing, _ := b.Service(t, servicetest.BillingContract, memory.New(), func(c *service.Config) {
		c.Transport = service.AMQP("amqp://guest:guest@127.0.0.1:1/", b.URL)
		c.Connect = slow
	})
	var rec servicetest.Recorder
	if err := billing.Register(rec.Handler()); err != nil {
		t.Fatal(err)
	}
	servicetest.Start(t, billing)
	servicetest.Ready(t, billing)
	users, _ := b.Service(t, servicetest.UsersContract, memory.New(), func(c *service.Config) {
		c.Transport = service.AMQP("amqp://guest:guest@127.0.0.1:1/", b.URL)
		c.Connect = slow
	})
	servicetest.PublishMany(t, users, 10, 1)
	testenv.Eventually(t, 10*time.Second, "10 events handled", func() bool { return rec.Len() >= 10 })
}
