// Package servicetest builds and runs services in evgen's own tests: one
// builder (New) and one runner (Run) instead of a copy in every test
// package. The poller is testenv.Eventually and the stand-in event
// testenv.UserRegistered, which live in testenv because the engine's
// internal tests use them and this package imports the engine.
//
// Only evgen's tests import it.
package servicetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/evgenhq/evgen/runtime/service"
)

// New builds the service cfg describes and closes it when t ends; it
// fails t when cfg is refused.
func New(t testing.TB, cfg service.Config) *service.Service {
	t.Helper()
	svc, err := service.New(cfg)
	if err != nil {
		t.Fatalf("service.New: %v", err)
	}
	t.Cleanup(func() { svc.Close() })
	return svc
}

// Run starts svc and waits until it is ready (its topology declared, its
// consumer started), failing t when Run returns first or 30s pass. It runs
// until stop is called or t ends; stop cancels it, waits for Run to return
// and fails t with Run's error.
func Run(t testing.TB, svc *service.Service) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Error("Run did not return within 30s of cancel")
			}
		})
	}
	t.Cleanup(stop)
	select {
	case <-svc.Ready():
	case err := <-done:
		t.Fatalf("Run ended before ready: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("service not ready after 30s")
	}
	return stop
}
