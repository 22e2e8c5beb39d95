package jetstream_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tt "github.com/evgenhq/evgen/internal/transporttest"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store/memory"
	"github.com/evgenhq/evgen/runtime/transport/jetstream"
)

// A consumer lookup that NATS never answers (a restart between the
// consumer's declaration and the subscription) must not hold the service:
// Run returns once its context ends. The lookup ran on a context without
// a deadline, and nats.go adds its own timeout only to a request without
// one, so Run did not return at all.
func TestStopWhileConsumerLookupUnanswered(t *testing.T) {
	b := newBroker(t)
	dropped := make(chan struct{})
	url := swallowConsumerInfo(t, strings.TrimPrefix(b.url, "nats://"), dropped)
	svc, err := service.New(service.Config{Contract: tt.BillingContract, Transport: jetstream.New(url, opts), Store: memory.New(), Namespace: b.namespace, Logger: tt.Logger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	var billing tt.Applied
	tt.Register(t, svc, billing.RegisteredHandler())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	select {
	case <-dropped:
	case err := <-done:
		t.Fatalf("Run returned before it looked up its consumer: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the subscriber did not look up its consumer within 30s")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return 20s after its context ended: the unanswered consumer lookup holds it")
	}
}

// swallowConsumerInfo is a proxy to NATS at upstream that drops the
// consumer lookups ($JS.API.CONSUMER.INFO) of every connection but the
// publisher's, as a server that stopped answering them would, and closes
// dropped at the first.
func swallowConsumerInfo(t *testing.T, upstream string, dropped chan<- struct{}) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	// Its connections end with the clients' (a wait for them here would
	// hang the test that found a stuck client instead of failing it).
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", upstream)
			if err != nil {
				c.Close()
				continue
			}
			go func() { io.Copy(c, u); c.Close() }()
			go func() {
				defer u.Close()
				r := bufio.NewReader(c)
				drop := false
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if strings.HasPrefix(line, "CONNECT ") && !strings.Contains(line, "-publisher") {
						drop = true
					}
					f := strings.Fields(line)
					if len(f) > 1 && (f[0] == "PUB" || f[0] == "HPUB") {
						n, _ := strconv.Atoi(f[len(f)-1])
						payload := make([]byte, n+2)
						if _, err := io.ReadFull(r, payload); err != nil {
							return
						}
						if drop && strings.HasPrefix(f[1], "$JS.API.CONSUMER.INFO.") {
							once.Do(func() { close(dropped) })
							continue
						}
						line += string(payload)
					}
					if _, err := u.Write([]byte(line)); err != nil {
						return
					}
				}
			}()
		}
	}()
	return "nats://" + l.Addr().String()
}
