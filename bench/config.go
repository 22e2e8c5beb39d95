package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

// Defaults match the services this project's machines start and the
// addresses internal/testenv gives the integration tests.
const (
	defaultAMQPURL     = "amqp://guest:guest@127.0.0.1:5672/"
	defaultNATSURL     = "nats://127.0.0.1:4222"
	defaultPostgresDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
)

// config is what the flags set; every case reads its sizes from here so a
// smoke test can shrink them all at once.
type config struct {
	AMQPURL     string
	NATSURL     string
	PostgresDSN string
	Events      int           // events per throughput run
	Payload     int           // approximate body size in bytes
	Concurrency int           // publishing goroutines for the pipelined publishers
	Consumers   int           // concurrent deliveries for the concurrent consumer cases
	Channels    int           // AMQP channels the raw pipelined publisher spreads over
	Batch       int           // largest transaction of the batched consumers
	Repeat      int           // runs per case; the median is reported
	Rate        int           // events/s of the latency cases
	Duration    time.Duration // length of one latency run
	Services    int           // services in the generated contract set
	GenEvents   int           // events in the generated contract set
	Cases       string        // comma-separated names or globs
	JSON        string        // file to write every run to, "" for none
	CPUProfile  string        // file to write a CPU profile of the whole run to, "" for none
}

func defaultConfig() config {
	return config{
		AMQPURL:     envOr("EVGEN_AMQP_URL", defaultAMQPURL),
		NATSURL:     envOr("EVGEN_NATS_URL", defaultNATSURL),
		PostgresDSN: envOr("EVGEN_POSTGRES_DSN", defaultPostgresDSN),
		Events:      5000,
		Payload:     200,
		Concurrency: 64,
		Consumers:   16,
		Channels:    4,
		Batch:       100,
		Repeat:      3,
		Rate:        1000,
		Duration:    3 * time.Second,
		Services:    20,
		GenEvents:   1000,
		Cases:       "*",
	}
}

func parseFlags(args []string) (config, error) {
	c := defaultConfig()
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.StringVar(&c.AMQPURL, "amqp", c.AMQPURL, "RabbitMQ URL (default from EVGEN_AMQP_URL)")
	fs.StringVar(&c.NATSURL, "nats", c.NATSURL, "NATS URL, JetStream enabled (default from EVGEN_NATS_URL)")
	fs.StringVar(&c.PostgresDSN, "pg", c.PostgresDSN, "PostgreSQL DSN (default from EVGEN_POSTGRES_DSN)")
	fs.IntVar(&c.Events, "events", c.Events, "events per throughput run")
	fs.IntVar(&c.Payload, "payload", c.Payload, "approximate event body size in bytes")
	fs.IntVar(&c.Concurrency, "concurrency", c.Concurrency, "publishing goroutines of the pipelined publishers (raw, evgen)")
	fs.IntVar(&c.Consumers, "consumers", c.Consumers, "concurrent deliveries of the concurrent consumer cases")
	fs.IntVar(&c.Channels, "channels", c.Channels, "AMQP channels of the raw pipelined publisher")
	fs.IntVar(&c.Batch, "batch", c.Batch, "largest transaction of the batched raw consumer")
	fs.IntVar(&c.Repeat, "repeat", c.Repeat, "runs per case; the median is reported")
	fs.IntVar(&c.Rate, "rate", c.Rate, "events/s published by the latency cases")
	fs.DurationVar(&c.Duration, "duration", c.Duration, "length of one latency run")
	fs.IntVar(&c.Services, "services", c.Services, "services in the generated contract set")
	fs.IntVar(&c.GenEvents, "gen-events", c.GenEvents, "events in the generated contract set")
	fs.StringVar(&c.Cases, "cases", c.Cases, "cases to run: comma-separated names or globs (see -list)")
	fs.StringVar(&c.JSON, "json", c.JSON, "write every run and the summary to this JSON file")
	fs.StringVar(&c.CPUProfile, "cpuprofile", c.CPUProfile, "write a CPU profile of the benchmark process (not of RabbitMQ or PostgreSQL) to this file")
	list := fs.Bool("list", false, "list the cases and exit")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if *list {
		return c, errList
	}
	return c, c.validate()
}

func (c config) validate() error {
	positive := map[string]int{
		"-events": c.Events, "-payload": c.Payload, "-concurrency": c.Concurrency,
		"-consumers": c.Consumers, "-channels": c.Channels, "-batch": c.Batch,
		"-repeat": c.Repeat, "-rate": c.Rate, "-services": c.Services, "-gen-events": c.GenEvents,
	}
	for name, v := range positive {
		if v < 1 {
			return fmt.Errorf("%s must be at least 1, got %d", name, v)
		}
	}
	if c.Duration <= 0 {
		return fmt.Errorf("-duration must be positive, got %s", c.Duration)
	}
	if c.GenEvents < c.Services {
		return fmt.Errorf("-gen-events (%d) must be at least -services (%d): every service owns an event", c.GenEvents, c.Services)
	}
	return nil
}

// machine describes where the numbers were taken, for the JSON report.
type machine struct {
	CPUs      int    `json:"cpus"`
	GOOS      string `json:"goos"`
	GOARCH    string `json:"goarch"`
	GoVersion string `json:"go_version"`
	Host      string `json:"host"`
	Load      string `json:"load_average"`
}

func describeMachine() machine {
	host, _ := os.Hostname() // only a label in the report
	load, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		load = []byte("unknown")
	}
	return machine{
		CPUs: runtime.NumCPU(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH,
		GoVersion: runtime.Version(), Host: host, Load: strings.TrimSpace(string(load)),
	}
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
