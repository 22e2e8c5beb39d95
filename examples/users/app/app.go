// Package app is the users service: it owns user accounts, publishes every
// change to them as an event, and takes part in billing's choreography
// (payment status, the deletion saga) by reacting to billing's events. It
// runs as its own process (see ../main.go) or, for demos and tests, inside
// another program.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.opentelemetry.io/otel/trace"

	"github.com/evgenhq/evgen/examples/internal/telemetry"
	"github.com/evgenhq/evgen/examples/users/usersevents"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store/open"
	_ "github.com/evgenhq/evgen/runtime/store/sqlite" // the default store: a file path in Config.DB
)

// Config is what the service needs to run.
type Config struct {
	// HTTPAddr is where the API listens, such as 127.0.0.1:8081.
	HTTPAddr string
	// AMQPURL is the RabbitMQ broker: one URL, or a comma-separated list
	// of the nodes of a cluster (see docs/cluster.md). Ignored when
	// Transport is set.
	AMQPURL string
	// QueueType is the type of the service's queues; "" is the runtime's
	// default, quorum.
	QueueType service.QueueType
	// Transport, when set, replaces RabbitMQ: service.InProcess(bus) runs
	// the service in one process with others, without a broker;
	// jetstream.New runs it over NATS JetStream (the -transport flag).
	Transport service.Transport
	// DB is the service's own database: a SQLite file path, or a
	// postgres:// URL (with search_path=<schema> to keep the service in a
	// schema of a shared database).
	DB string
	// Namespace prefixes the service's RabbitMQ exchange and queues, so
	// that environments sharing a broker stay apart; "" is the runtime's
	// default.
	Namespace string
	// Logger receives the service's logs; nil means slog.Default().
	Logger *slog.Logger
	// TracerProvider makes the spans of the API's requests and of the
	// service's events; nil means the global provider (telemetry.Setup
	// sets it from the OTEL_EXPORTER_OTLP_* variables).
	TracerProvider trace.TracerProvider
	// PublisherUsers, with Verify set, makes the service dead-letter an
	// event not published by its producer's own broker user (see evgen
	// topology and docs/other-languages.md).
	PublisherUsers service.PublisherUsers
}

// Run serves the API and consumes billing's events until ctx ends, then
// shuts down gracefully: in-flight requests and events are finished.
func Run(ctx context.Context, cfg Config) error {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	transport := cfg.Transport
	if transport == nil {
		transport = service.AMQP(splitURLs(cfg.AMQPURL)...)
	}
	// The database holds the service's tables, its inbox and its outbox,
	// so that one transaction covers all three. Open creates the outbox
	// now: the first request may write to it before the service runs.
	store, err := open.Open(ctx, cfg.DB, open.WithLogger(log))
	if err != nil {
		return err
	}
	defer store.DB().Close()
	if err := createTables(ctx, store.DB()); err != nil {
		return err
	}
	metrics := prometheus.NewRegistry()
	metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	svc, err := service.New(service.Config{
		Contract: usersevents.Contract, Transport: transport, Store: store,
		Logger: log, Metrics: metrics, Namespace: cfg.Namespace, QueueType: cfg.QueueType,
		TracerProvider: cfg.TracerProvider,
		PublisherUsers: cfg.PublisherUsers,
	})
	if err != nil {
		return err
	}
	if err := usersevents.RegisterHandlers(svc, handlers{log: log}); err != nil {
		return err
	}
	// A consumer that lost its copy of the users asks users to re-announce
	// them; the answers go to that consumer alone.
	if err := usersevents.RegisterSnapshots(svc, snapshots{db: store.DB()}); err != nil {
		return err
	}
	a := &api{users: &users{db: store.DB(), store: store}, log: log}
	return serve(ctx, cfg.HTTPAddr, telemetry.HTTP(a.routes(metrics), cfg.TracerProvider), svc, log)
}

// serve runs the HTTP server and the event service side by side until ctx
// ends or one of them fails, and stops both.
func serve(ctx context.Context, addr string, h http.Handler, svc *service.Service, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	httpDone := make(chan error, 1)
	go func() {
		err := srv.Serve(ln)
		cancel()
		httpDone <- err
	}()
	log.Info("users service listening", "http", ln.Addr().String())
	svcErr := svc.Run(ctx)
	cancel()
	shutdownCtx, stop := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer stop()
	shutdownErr := srv.Shutdown(shutdownCtx)
	if err := <-httpDone; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http server: %w", err)
	}
	return errors.Join(svcErr, shutdownErr)
}

// splitURLs splits a comma-separated list of broker URLs.
func splitURLs(list string) []string {
	urls := strings.Split(list, ",")
	for i, u := range urls {
		urls[i] = strings.TrimSpace(u)
	}
	return urls
}
