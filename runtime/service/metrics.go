package service

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/evgenhq/evgen/runtime"
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the service's Prometheus collectors, labelled by service,
// event type and version (separate labels, so dashboards can sum over
// versions). Without a registerer they still count, unexported.
type metrics struct {
	published, consumed, duplicates, retried, deadLettered, setAside *prometheus.CounterVec
	latency                                                          *prometheus.HistogramVec
	// stale counts events dropped as older than one of their key applied
	// before (order.go).
	stale *prometheus.CounterVec
	// storeUnavailable is 1 while consumption is paused because the
	// store's database does not answer; storeWaits counts the holds.
	storeUnavailable *prometheus.GaugeVec
	storeWaits       *prometheus.CounterVec
	// resyncDropped counts resync requests given up, by service.
	resyncDropped *prometheus.CounterVec
	// undeclaredEmits counts publications by a handler that its contract
	// does not declare, by service, handled type and emitted type.
	undeclaredEmits *prometheus.CounterVec
}

var eventLabels = []string{"service", "type", "version"}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	counter := func(name, help string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "evgen", Name: name, Help: help}, eventLabels)
	}
	m := &metrics{
		published:    counter("events_published_total", "Events confirmed by the broker (or the in-process bus)."),
		consumed:     counter("events_consumed_total", "Events whose handler committed."),
		duplicates:   counter("events_duplicates_total", "Deliveries skipped because the inbox had already applied the event."),
		retried:      counter("events_retried_total", "Handler attempts that failed and were retried."),
		deadLettered: counter("events_dead_lettered_total", "Events moved to the service's dead-letter queue."),
		setAside:     counter("outbox_set_aside_total", "Outbox events the relay set aside because they can never be sent (see evgen outbox list)."),
		stale:        counter("events_stale_total", "Events dropped before their handler ran because an event of their key with an equal or greater order value (order_by) was applied before."),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "evgen", Name: "handler_duration_seconds",
			Help:    "Time a handler took, inbox claim included, per attempt.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2.5, 12),
		}, eventLabels),
		storeUnavailable: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "evgen", Name: "store_unavailable",
			Help: "1 while consumption is paused because the store's database does not answer: alert on it.",
		}, []string{"service"}),
		storeWaits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "evgen", Name: "store_waits_total",
			Help: "Waits of a held event for the store's database to answer (not counted as attempts).",
		}, []string{"service"}),
		resyncDropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "evgen", Name: "resync_requests_dropped_total",
			Help: "Resync requests given up: they failed permanently, or on every attempt of the retry policy.",
		}, []string{"service"}),
		undeclaredEmits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "evgen", Name: "undeclared_emits_total",
			Help: "Events a handler published that its contract's emits: does not declare for the event it handled (the publication still went through).",
		}, []string{"service", "handler", "emitted"}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	m.published, err = register(reg, m.published)
	if err != nil {
		return nil, err
	}
	if m.consumed, err = register(reg, m.consumed); err != nil {
		return nil, err
	}
	if m.duplicates, err = register(reg, m.duplicates); err != nil {
		return nil, err
	}
	if m.stale, err = register(reg, m.stale); err != nil {
		return nil, err
	}
	if m.retried, err = register(reg, m.retried); err != nil {
		return nil, err
	}
	if m.deadLettered, err = register(reg, m.deadLettered); err != nil {
		return nil, err
	}
	if m.setAside, err = register(reg, m.setAside); err != nil {
		return nil, err
	}
	if m.storeUnavailable, err = register(reg, m.storeUnavailable); err != nil {
		return nil, err
	}
	if m.storeWaits, err = register(reg, m.storeWaits); err != nil {
		return nil, err
	}
	if m.resyncDropped, err = register(reg, m.resyncDropped); err != nil {
		return nil, err
	}
	if m.undeclaredEmits, err = register(reg, m.undeclaredEmits); err != nil {
		return nil, err
	}
	m.latency, err = register(reg, m.latency)
	return m, err
}

// register adds c to reg, or returns the collector already registered
// under its name: several services in one process share one registry.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	var already prometheus.AlreadyRegisteredError
	switch {
	case err == nil:
		return c, nil
	case errors.As(err, &already):
		if existing, ok := already.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, fmt.Errorf("register metrics: %w", err)
}

// inc counts one event of type m on c.
func (s *Service) inc(c *prometheus.CounterVec, m runtime.Meta) {
	c.WithLabelValues(s.cfg.Contract.Service, m.Type, strconv.Itoa(m.Version)).Inc()
}

func (s *Service) observeHandler(m runtime.Meta, start time.Time) {
	s.metrics.latency.WithLabelValues(s.cfg.Contract.Service, m.Type, strconv.Itoa(m.Version)).
		Observe(time.Since(start).Seconds())
}
