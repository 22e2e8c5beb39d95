package service

import (
	"fmt"
	"log/slog"
	"slices"

	"github.com/evgenhq/evgen/runtime/store"
)

// serviceLogger is the logger the service logs with: cfg.Logger with the
// service's name, unless the logger carries it already. slog cannot tell
// which attributes a logger holds, so the application says so
// (Config.LoggerHasService); adding it again would print service=billing
// service=billing.
func serviceLogger(cfg Config) *slog.Logger {
	if cfg.LoggerHasService {
		return cfg.Logger
	}
	return cfg.Logger.With("service", cfg.Contract.Service)
}

// becameReady closes Ready the first time the consumer starts, and says
// so in one line: for a service that only consumes, the only sign in its
// log that it runs.
func (s *Service) becameReady() {
	s.readyOnce.Do(func() {
		close(s.ready)
		s.logConsuming()
	})
}

// logConsuming logs the queue, the event types and the store the service
// consumes with; nothing for a service that consumes nothing.
func (s *Service) logConsuming() {
	if len(s.consumes) == 0 {
		return
	}
	events := make([]string, 0, len(s.consumes))
	for k := range s.consumes {
		events = append(events, k)
	}
	slices.Sort(events)
	mode := "ordered"
	if s.cfg.Concurrency > 1 {
		mode = fmt.Sprintf("concurrent (%d)", s.cfg.Concurrency)
	}
	s.log.Info("consuming", "queue", names{s.cfg.Namespace}.queue(s.cfg.Contract.Service), "events", events, "mode", mode, "store", storeName(s.cfg.Store))
}

// storeName says which store st is: its String, or its type.
func storeName(st store.Store) string {
	if n, ok := st.(fmt.Stringer); ok {
		return n.String()
	}
	return fmt.Sprintf("%T", st)
}
