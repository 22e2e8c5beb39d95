package service

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/store"
	"github.com/evgenhq/evgen/runtime/transport"
	amqptransport "github.com/evgenhq/evgen/runtime/transport/amqp"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"
)

// Config wires a Service. Zero values take the defaults documented on each
// field; NewService applies them and validates the result.
type Config struct {
	// Contract is the generated descriptor of the service (its Contract
	// variable): what it publishes and consumes. Required.
	Contract runtime.Contract
	// Transport carries events: AMQP(urls...) for RabbitMQ (one URL per
	// node of a cluster), InProcess(bus) for tests and demos without a
	// broker, or a transport.Transport of another package (pubsub.New over
	// a Watermill Pub/Sub, jetstream.New over NATS). Required.
	Transport Transport
	// Store holds the service's inbox and outbox. Required.
	Store store.Store
	// Logger receives structured logs; nil means slog.Default(). The
	// service adds service=<Contract.Service> to every record, unless
	// LoggerHasService is set.
	Logger *slog.Logger
	// LoggerHasService says that Logger already names the service (as
	// logger.With("service", "billing") does), so that its records do not
	// say service=billing twice. slog cannot tell which attributes a
	// logger carries; the application says so here.
	LoggerHasService bool
	// Metrics registers the service's Prometheus collectors; nil means no
	// metrics.
	Metrics prometheus.Registerer
	// TracerProvider makes the service's OpenTelemetry spans (publish,
	// relay, process, settle, dead-letter; see docs/observability.md); nil
	// means the global provider (otel.GetTracerProvider), a no-op until the
	// application sets one.
	TracerProvider trace.TracerProvider
	// Namespace prefixes every exchange and queue name ("evgen" by
	// default), so that tests and environments sharing a broker stay apart.
	Namespace string
	// Concurrency sets how a replica works through deliveries. 1 (the
	// default) handles one delivery at a time, in queue order, applying
	// those already waiting (up to 64) in one inbox transaction with a
	// savepoint each; a failing event commits those before it and is retried
	// alone before the next one starts. N > 1 takes up to N deliveries into
	// one inbox transaction (a failing handler still rolls back only its own
	// event), with up to 4 such transactions at once; see docs/runtime.md
	// for what that does to order.
	Concurrency int
	// Prefetch is how many unacknowledged deliveries the broker sends ahead
	// of the ones being handled; 0 means 16 in ordered mode and 8*Concurrency
	// in concurrent mode. It does not change the order in which an ordered
	// replica handles events.
	Prefetch int
	// Retry bounds how a failing handler is retried before the event is
	// dead-lettered.
	Retry RetryPolicy
	// QueueType is the type of the service's queue, its dead-letter queue
	// and its resync queue: QuorumQueue (the default; replicated, and safe
	// on a single node too) or ClassicQueue (see its warning). A queue
	// cannot change type once declared; docs/cluster.md says how to move.
	QueueType QueueType
	// Cluster places the quorum queues and the event log on the nodes of a
	// RabbitMQ cluster; the zero value takes the broker's replica counts
	// and spreads leaders over the nodes.
	Cluster ClusterConfig
	// Connect bounds the backoff between connection attempts, the first one
	// included (the broker may start after the service), and between the
	// tries of an event held while the store's database does not answer:
	// by default 100ms doubling to 1s, each wait shortened by a random part
	// of up to half, so a service works again within about a second of the
	// broker coming back while a broker that stays down sees one attempt a
	// second.
	Connect Backoff
	// PublishTimeout bounds a Publish whose context has no deadline, so a
	// publisher never waits forever on a broker that does not come back;
	// default 30s.
	PublishTimeout time.Duration
	// ShutdownTimeout bounds a graceful shutdown: once Run's context ends,
	// the deliveries in flight have this long to finish (handler, commit
	// and ack). A handler still running then is abandoned: its inbox
	// transaction is rolled back, its delivery is left unacked (closing the
	// connection returns it to the queue for another replica) and Run
	// returns an error naming the event. Default 30s, like Watermill's
	// router CloseTimeout; keep it below the time your orchestrator waits
	// between SIGTERM and SIGKILL.
	ShutdownTimeout time.Duration
	// PublisherChannels is the number of AMQP channels confirmed publishes
	// are spread over; default 2.
	PublisherChannels int
	// EventLog sets the retention of the event log a producing service
	// keeps of its own events, for consumers to sync from; see
	// docs/recovery.md.
	EventLog EventLogConfig
	// MaxEventBytes bounds an event's payload (the JSON body), in bytes:
	// Publish refuses a larger one with a Permanent error and sends
	// nothing, and the consumer dead-letters one with the sizes as the
	// reason. Default DefaultMaxEventBytes.
	MaxEventBytes int
	// SchemaBaseURL is where the events' JSON Schemas are published
	// (evgen jsonschema -base-url): when set, each published event's
	// CloudEvents dataschema is SchemaBaseURL + "/<type>.v<N>.schema.json",
	// the schema's $id. An absolute URL; empty sends no dataschema.
	SchemaBaseURL string
	// PublisherUsers tells a consumer which broker user each producer
	// publishes as, for services that connect as users of their own
	// (evgen topology defines them).
	PublisherUsers PublisherUsers
}

// DefaultMaxEventBytes is 1 MiB. RabbitMQ takes far larger messages (its
// max_message_size is 128 MiB up to 3.13, 16 MiB from 4.0), but every
// event is kept several times over: on each replica of each consuming
// quorum queue, in the producer's event log, in the outbox, and read
// whole into memory by every consumer. An event says what changed, not
// the document it changed: 1 MiB leaves room for large aggregates while
// a 10 MB attachment is refused at the producer. NATS (max_payload) and
// Kafka (message.max.bytes) default to 1 MB too.
const DefaultMaxEventBytes = 1 << 20

// PublisherUsers tells a consumer who may publish each producer's events.
// Every evgen publisher sets the AMQP user-id property to the broker user
// it connects as, which RabbitMQ refuses on a connection of another user;
// with Verify set, the consumer dead-letters an event whose user-id is not
// its producer's user, such as one a third user sent straight into the
// queue through the default exchange.
type PublisherUsers struct {
	// Verify turns the check on. It needs the AMQP transport.
	Verify bool
	// Prefix names the user of producer p Prefix + p, as evgen topology's
	// -user-prefix does; default "", the service's name.
	Prefix string
	// Users names the user of a producer whose user is not Prefix + its
	// name, by producer.
	Users map[string]string
}

// userOf is the broker user producer publishes as.
func (p PublisherUsers) userOf(producer string) string {
	if u, ok := p.Users[producer]; ok {
		return u
	}
	return p.Prefix + producer
}

// EventLogConfig is the retention of a producer's event log: a RabbitMQ
// stream that keeps every event the producer publishes. The broker drops
// the oldest segments once either limit is passed, so a consumer can sync
// from at most that far back. A stream keeps its arguments once declared:
// change them with a RabbitMQ policy (max-age, stream-max-segment-size-bytes,
// max-length-bytes), not here.
type EventLogConfig struct {
	// Disabled declares no log: consumers cannot sync from this producer,
	// only ask it to re-announce its state.
	Disabled bool
	// MaxAge is how long events are kept; default DefaultLogMaxAge.
	MaxAge time.Duration
	// MaxBytes caps the log's size on disk; default DefaultLogMaxBytes.
	MaxBytes int64
}

// Default event log retention: a week, the same as the inbox's, so a
// consumer restored from a backup up to a week old can still catch up, and
// at most 1 GiB, so a busy producer cannot fill the broker's disk.
const (
	DefaultLogMaxAge   = 7 * 24 * time.Hour
	DefaultLogMaxBytes = 1 << 30
)

// RetryPolicy bounds the retries of a failing handler. Zero fields take
// the defaults (100ms doubling to 5s, no jitter); MaxAttempts 1 disables
// retries.
type RetryPolicy struct {
	MaxAttempts int // attempts in all, the first included; default 5
	Backoff
}

// Backoff is an exponential backoff: Initial, doubled (or times
// Multiplier) after each attempt, capped at Max, and then shortened by a
// random part of up to Jitter of it. Zero fields take the defaults of the
// setting that holds the Backoff (Config.Retry, Config.Connect).
type Backoff struct {
	Initial    time.Duration // first wait; default 100ms
	Max        time.Duration // longest wait; default 5s (Retry), 1s (Connect)
	Multiplier float64       // default 2
	// Jitter, from 0 to 1, is the largest part of a wait drawn at random:
	// each wait lies between (1-Jitter) times the computed one and all of
	// it, never above Max. Default 0 (Retry), 0.5 (Connect).
	Jitter float64
}

// defaultRetry spaces a failing handler's attempts: the five default
// attempts span about 1.5s, enough to ride out a brief outage of what the
// handler calls.
var defaultRetry = Backoff{Initial: 100 * time.Millisecond, Max: 5 * time.Second, Multiplier: 2}

// defaultConnect spaces connection attempts to a broker that is away. With
// the former 5s cap both example services took 5.6 to 6.6s to work again
// after a broker restart: the next attempt was up to 5s after the broker
// accepted connections. Capped at 1s, a service tries again at most 1s
// after the broker is back, and connecting and declaring take some tens of
// milliseconds, well within 2s. One attempt a second per connection (a
// service has two or three) costs a broker that stays down almost nothing:
// a refused TCP connection, or a handshake rejected early while it boots.
// Jitter 0.5 draws each wait between half and all of it, so the replicas of
// many services that lost the broker at the same instant spread their
// attempts over the second instead of meeting a restarted broker at once.
var defaultConnect = Backoff{Initial: 100 * time.Millisecond, Max: time.Second, Multiplier: 2, Jitter: 0.5}

// QueueType selects the RabbitMQ queue type of a consuming service; see
// transport.QueueType.
type QueueType = transport.QueueType

// Queue types; see transport.QuorumQueue and transport.ClassicQueue.
const (
	QuorumQueue  = transport.QuorumQueue
	ClassicQueue = transport.ClassicQueue
)

// ClusterConfig sets the arguments RabbitMQ uses to place a new queue on
// the nodes of a cluster. It reads them only when it creates the queue and
// refuses a later declaration with other values (406
// PRECONDITION_FAILED, inequivalent arg), so a change needs a new queue:
// see docs/cluster.md.
type ClusterConfig struct {
	// QueueReplicas is the number of nodes each quorum queue is replicated
	// on (x-quorum-initial-group-size); 0 leaves it to the broker (RabbitMQ
	// 3.10: its quorum_cluster_size setting, 3 unless set, at most the
	// nodes running). A majority must be up for the queue to work: 3
	// replicas survive one node lost, 5 two.
	QueueReplicas int
	// LogReplicas is the number of nodes the event log stream is
	// replicated on (x-initial-cluster-size); 0 leaves it to the broker
	// (RabbitMQ 3.10: every node running). A majority must be up for the
	// producer's publishes to be confirmed.
	LogReplicas int
	// LeaderLocator picks the node that leads each new quorum queue and
	// event log; default LeadersBalanced.
	LeaderLocator LeaderLocator
}

// LeaderLocator is a RabbitMQ queue leader locator; see
// transport.LeaderLocator.
type LeaderLocator = transport.LeaderLocator

// Leader locators; see transport.LeadersBalanced, LeadersClientLocal and
// LeadersBrokerDefault.
const (
	LeadersBalanced      = transport.LeadersBalanced
	LeadersClientLocal   = transport.LeadersClientLocal
	LeadersBrokerDefault = transport.LeadersBrokerDefault
)

// DefaultNamespace prefixes every exchange and queue when
// Config.Namespace is empty.
const DefaultNamespace = "evgen"

var namePattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// namespacePattern has no dot: names join the namespace and a service
// with dots, so namespace "a.billing" with service "dlq" would share the
// queue "a.billing.dlq" with the dead-letter queue of billing in "a".
var namespacePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)

// CheckNamespace reports whether ns can prefix a service's exchanges and
// queues: letters, digits, '_' and '-', starting with a letter or digit.
// A dot is refused, since names are the namespace and the service joined
// by dots, and a dotted namespace could name another service's queue.
func CheckNamespace(ns string) error {
	if namespacePattern.MatchString(ns) {
		return nil
	}
	if strings.Contains(ns, ".") {
		return fmt.Errorf("namespace %q has a dot: names join namespace and service with dots, so it could name another namespace's queue (%q with service \"dlq\" is the dead-letter queue of service \"billing\" in %q); use '_' or '-' instead", ns, "a.billing", "a")
	}
	return fmt.Errorf("namespace %q: want letters, digits, '_' and '-', starting with a letter or digit", ns)
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.TracerProvider == nil {
		c.TracerProvider = otel.GetTracerProvider()
	}
	if c.Namespace == "" {
		c.Namespace = DefaultNamespace
	}
	if c.Concurrency == 0 {
		c.Concurrency = 1
	}
	if c.Prefetch == 0 {
		c.Prefetch = max(2*c.Concurrency, 16)
		if c.Concurrency > 1 {
			// Each worker's next batch waits while its current one commits;
			// with only one batch per worker in flight, workers sat idle
			// waiting for the broker (measured: 1.35x the events/s). AMQP
			// carries the count in 16 bits.
			c.Prefetch = min(2*batchWorkers*c.Concurrency, math.MaxUint16)
		}
	}
	if c.Retry.MaxAttempts == 0 {
		c.Retry.MaxAttempts = 5
	}
	c.Retry.Backoff.setDefaults(defaultRetry)
	c.Connect.setDefaults(defaultConnect)
	if c.QueueType == "" {
		c.QueueType = QuorumQueue
	}
	if c.Cluster.LeaderLocator == "" {
		c.Cluster.LeaderLocator = LeadersBalanced
	}
	if c.PublishTimeout == 0 {
		c.PublishTimeout = 30 * time.Second
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = 30 * time.Second
	}
	if c.PublisherChannels == 0 {
		c.PublisherChannels = 2
	}
	if c.EventLog.MaxAge == 0 {
		c.EventLog.MaxAge = DefaultLogMaxAge
	}
	if c.EventLog.MaxBytes == 0 {
		c.EventLog.MaxBytes = DefaultLogMaxBytes
	}
	if c.MaxEventBytes == 0 {
		c.MaxEventBytes = DefaultMaxEventBytes
	}
}

// setDefaults fills b's zero fields from def.
func (b *Backoff) setDefaults(def Backoff) {
	if b.Initial == 0 {
		b.Initial = def.Initial
	}
	if b.Max == 0 {
		b.Max = max(def.Max, b.Initial)
	}
	if b.Multiplier == 0 {
		b.Multiplier = def.Multiplier
	}
	if b.Jitter == 0 {
		b.Jitter = def.Jitter
	}
}

// delay returns the wait before attempt n+1 after n failed attempts.
func (b Backoff) delay(n int) time.Duration {
	d := float64(b.Initial)
	for i := 1; i < n && d < float64(b.Max); i++ {
		d *= b.Multiplier
	}
	d = min(d, float64(b.Max))
	return time.Duration(d - d*b.Jitter*rand.Float64())
}

// Validate reports every problem with c in one error.
func (c *Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Contract.Service == "" {
		add("Config.Contract.Service is empty: pass the generated package's Contract")
	} else if !namePattern.MatchString(c.Contract.Service) {
		add("Config.Contract.Service %q is not a service name ([a-z][a-z0-9_]*)", c.Contract.Service)
	}
	if c.Transport == nil {
		add("Config.Transport is nil: use service.AMQP(urls...) or service.InProcess(bus)")
	}
	if c.Store == nil {
		add("Config.Store is nil: use memory.New(), sqlite.New or postgres.New (runtime/store/...), or open.Open")
	}
	if err := CheckNamespace(c.Namespace); err != nil {
		add("Config.Namespace: %w", err)
	}
	if c.Concurrency < 1 || c.Prefetch < 1 || c.PublisherChannels < 1 {
		add("Config.Concurrency (%d), Prefetch (%d) and PublisherChannels (%d) must be at least 1",
			c.Concurrency, c.Prefetch, c.PublisherChannels)
	}
	if c.Retry.MaxAttempts < 1 {
		add("Config.Retry.MaxAttempts is %d: want at least 1", c.Retry.MaxAttempts)
	}
	for _, b := range []Backoff{c.Retry.Backoff, c.Connect} {
		if b.Initial < 0 || b.Max < b.Initial || b.Multiplier < 1 || b.Jitter < 0 || b.Jitter > 1 {
			add("backoff %+v: want 0 <= Initial <= Max, Multiplier >= 1 and 0 <= Jitter <= 1", b)
		}
	}
	if c.QueueType != ClassicQueue && c.QueueType != QuorumQueue {
		add("Config.QueueType %q: want %q or %q", c.QueueType, QuorumQueue, ClassicQueue)
	}
	errs = append(errs, c.Cluster.validate(c.QueueType)...)
	if c.PublishTimeout < 0 || c.ShutdownTimeout < 0 {
		add("Config.PublishTimeout (%v) and ShutdownTimeout (%v) must not be negative", c.PublishTimeout, c.ShutdownTimeout)
	}
	if c.EventLog.MaxAge < time.Second || c.EventLog.MaxBytes < 1 {
		add("Config.EventLog: MaxAge (%v) must be at least 1s and MaxBytes (%d) positive", c.EventLog.MaxAge, c.EventLog.MaxBytes)
	}
	if c.MaxEventBytes < 1 {
		add("Config.MaxEventBytes is %d: want at least 1 (0 takes the default, %d)", c.MaxEventBytes, DefaultMaxEventBytes)
	}
	if err := checkSchemaBaseURL(c.SchemaBaseURL); err != nil {
		add("Config.SchemaBaseURL: %w", err)
	}
	// Only AMQP deliveries say which broker user published them; on any
	// other transport the check would pass every event unchecked.
	if _, onAMQP := c.Transport.(*amqptransport.Transport); c.PublisherUsers.Verify && !onAMQP {
		add("Config.PublisherUsers.Verify needs the AMQP transport: %T's deliveries do not say which broker user published them", c.Transport)
	}
	errs = append(errs, validateContract(c.Contract)...)
	return errors.Join(errs...)
}

func (c ClusterConfig) validate(queues QueueType) []error {
	var errs []error
	if c.QueueReplicas < 0 || c.LogReplicas < 0 {
		errs = append(errs, fmt.Errorf("Config.Cluster: QueueReplicas (%d) and LogReplicas (%d) must not be negative (0 takes the broker's default)", c.QueueReplicas, c.LogReplicas))
	}
	if c.QueueReplicas > 0 && queues == ClassicQueue {
		errs = append(errs, fmt.Errorf("Config.Cluster.QueueReplicas is %d but Config.QueueType is %q, which has no replicas: use %q", c.QueueReplicas, ClassicQueue, QuorumQueue))
	}
	switch c.LeaderLocator {
	case LeadersBalanced, LeadersClientLocal, LeadersBrokerDefault:
	default:
		errs = append(errs, fmt.Errorf("Config.Cluster.LeaderLocator %q: want %q, %q or %q", c.LeaderLocator, LeadersBalanced, LeadersClientLocal, LeadersBrokerDefault))
	}
	return errs
}

// validate checks the descriptor a Service relies on: qualified types,
// versions, no event listed twice.
func validateContract(c runtime.Contract) []error {
	var errs []error
	seen := map[string]bool{}
	check := func(list string, e runtime.EventInfo) {
		key := runtime.RoutingKey(e.Type, e.Version)
		switch {
		case e.Producer == "" || runtime.ProducerOf(e.Type) != e.Producer:
			errs = append(errs, fmt.Errorf("Contract.%s: event %q: type must be %q + \".\" + name", list, e.Type, e.Producer))
		case e.Version < 1:
			errs = append(errs, fmt.Errorf("Contract.%s: event %s: version %d, want at least 1", list, e.Type, e.Version))
		case seen[list+key]:
			errs = append(errs, fmt.Errorf("Contract.%s: event %s v%d listed twice", list, e.Type, e.Version))
		}
		seen[list+key] = true
	}
	for _, e := range c.Publishes {
		check("Publishes", e)
		if c.Service != "" && e.Producer != c.Service {
			errs = append(errs, fmt.Errorf("Contract.Publishes: event %s is produced by %q, not by service %q", e.Type, e.Producer, c.Service))
		}
	}
	for _, e := range c.Consumes {
		check("Consumes", e)
	}
	return errs
}

// checkSchemaBaseURL accepts "" or an absolute URL, as evgen jsonschema's
// -base-url does.
func checkSchemaBaseURL(raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return fmt.Errorf("%q: want an absolute URL such as https://example.com/schemas, the -base-url given to evgen jsonschema", raw)
	}
	return nil
}
