package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"

	billingapp "github.com/evgenhq/evgen/examples/billing/app"
	usersapp "github.com/evgenhq/evgen/examples/users/app"
	rtservice "github.com/evgenhq/evgen/runtime/service"
)

// inProcess is a service running in a goroutine of this process, logging
// to <LogDir>/<name>.log.
type inProcess struct {
	name    string
	logPath string
	run     func(ctx context.Context, log *slog.Logger) error
	cancel  context.CancelFunc
	done    chan struct{}
	err     error
}

func newInProcessUsers(addr string, opts Options, transport rtservice.Transport) *inProcess {
	return &inProcess{name: "users", logPath: filepath.Join(opts.LogDir, "users.log"), run: func(ctx context.Context, log *slog.Logger) error {
		return usersapp.Run(ctx, usersapp.Config{HTTPAddr: addr, Transport: transport, DB: opts.UsersDB, Namespace: opts.Namespace, Logger: log, TracerProvider: opts.TracerProvider})
	}}
}

func newInProcessBilling(addr string, opts Options, transport rtservice.Transport) *inProcess {
	return &inProcess{name: "billing", logPath: filepath.Join(opts.LogDir, "billing.log"), run: func(ctx context.Context, log *slog.Logger) error {
		return billingapp.Run(ctx, billingapp.Config{HTTPAddr: addr, Transport: transport, DB: opts.BillingDB, Namespace: opts.Namespace, Logger: log, TracerProvider: opts.TracerProvider})
	}}
}

func (s *inProcess) start() error {
	if s.done != nil && !closed(s.done) {
		return fmt.Errorf("%s is already running", s.name)
	}
	logFile, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("open %s's log: %w", s.name, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer logFile.Close()
		log := slog.New(slog.NewTextHandler(logFile, nil))
		if s.err = s.run(ctx, log); s.err != nil {
			log.Error("service stopped", "err", s.err)
		}
	}()
	s.cancel, s.done = cancel, done
	return nil
}

// stop cancels the service's context, the in-process equivalent of
// SIGTERM, and waits for Run to return; a goroutine cannot be killed.
func (s *inProcess) stop(sig syscall.Signal) error {
	if sig != syscall.SIGTERM {
		return fmt.Errorf("%s runs in this process: it can only be stopped gracefully, not with %v", s.name, sig)
	}
	if s.done == nil || closed(s.done) {
		return nil
	}
	s.cancel()
	<-s.done
	if s.err != nil {
		return fmt.Errorf("%s: %w", s.name, s.err)
	}
	return nil
}

func (s *inProcess) exited() <-chan struct{} { return s.done }

func (s *inProcess) pid() int { return 0 }
