package testenv

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Tests that stop or restart RabbitMQ would break the integration tests of
// other packages, which go test runs in parallel processes. Every test that
// uses the broker holds a shared lock on one file; a disruptive test takes it
// exclusively, so it runs alone and the others wait rather than fail.
var brokerLockPath = filepath.Join(os.TempDir(), "evgen-rabbitmq.lock")

func lockBroker(t testing.TB, how int) {
	t.Helper()
	f, err := os.OpenFile(brokerLockPath, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		t.Fatalf("open broker lock %s: %v", brokerLockPath, err)
	}
	if err := syscall.Flock(int(f.Fd()), how); err != nil {
		f.Close()
		t.Fatalf("lock broker %s: %v", brokerLockPath, err)
	}
	t.Cleanup(func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	})
}

// ExclusiveBroker returns the broker URL once no other test process uses
// the broker, and keeps the others waiting until t ends. Call it, instead
// of AMQPURL, in a test that stops or restarts RabbitMQ.
func ExclusiveBroker(t testing.TB) string {
	t.Helper()
	u := env("EVGEN_AMQP_URL", DefaultAMQPURL)
	reachable(t, "RabbitMQ", u, "5672")
	lockBroker(t, syscall.LOCK_EX)
	return u
}
