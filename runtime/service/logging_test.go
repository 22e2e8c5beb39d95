package service_test

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store/memory"
)

// logBuffer is a thread-safe buffer for a text logger.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) lines() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.FieldsFunc(b.buf.String(), func(r rune) bool { return r == '\n' })
}

// A service that only consumes says once, when it starts consuming, which
// queue, event types and store; each of its records names the service
// once, whether the runtime adds the name or the application's logger
// carries it (LoggerHasService).
func TestConsumingServiceLogsOnceNamingItselfOnce(t *testing.T) {
	for _, tc := range []struct {
		name     string
		logger   func(*logBuffer) *slog.Logger
		declared bool
	}{
		{"runtime adds the name", func(b *logBuffer) *slog.Logger { return slog.New(slog.NewTextHandler(b, nil)) }, false},
		{"the logger has it", func(b *logBuffer) *slog.Logger {
			return slog.New(slog.NewTextHandler(b, nil)).With("service", "billing")
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out logBuffer
			svc, _ := newService(t, service.Config{
				Contract: billingOrdered, Transport: service.InProcess(service.NewInProcessBus()), Store: memory.New(),
				Logger: tc.logger(&out), LoggerHasService: tc.declared, Namespace: "evgentest",
			})
			if err := svc.Register((&applied{}).handler()); err != nil {
				t.Fatal(err)
			}
			run := start(t, svc)
			ready(t, svc)
			if err := run.Stop(); err != nil {
				t.Fatal(err)
			}
			var consuming []string
			for _, line := range out.lines() {
				if n := strings.Count(line, "service=billing"); n != 1 {
					t.Errorf("%d times service=billing in %q, want once", n, line)
				}
				if strings.Contains(line, "msg=consuming") {
					consuming = append(consuming, line)
				}
			}
			if len(consuming) != 1 {
				t.Fatalf("%d lines say consuming, want 1: %q", len(consuming), out.lines())
			}
			for _, want := range []string{"queue=evgentest.billing", "users.UserChanged.v1", "mode=ordered", "store=memory"} {
				if !strings.Contains(consuming[0], want) {
					t.Errorf("%q does not say %s", consuming[0], want)
				}
			}
		})
	}
}
