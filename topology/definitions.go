package topology

import (
	"encoding/json"

	"github.com/evgenhq/evgen/runtime/service"
)

// Definitions renders services as a RabbitMQ definitions document for
// `rabbitmqctl import_definitions`: vhost, one user per service without a
// password (the operator sets it: see docs/other-languages.md), its
// permissions, and the exchanges, queues and bindings the services
// declare, with the arguments the runtime declares them with, so that a
// service starting after the import finds them as it would declare them;
// then each operator's user, with its tags and permissions, also without a
// password.
func Definitions(services []Service, vhost string, operators ...Operator) ([]byte, error) {
	doc := defsDoc{Vhosts: []defsVhost{{Name: vhost}}}
	seen := map[string]bool{}
	once := func(kind, name string) bool {
		if seen[kind+" "+name] {
			return false
		}
		seen[kind+" "+name] = true
		return true
	}
	for _, s := range services {
		doc.Users = append(doc.Users, defsUser{Name: s.User, PasswordHash: "", HashingAlgorithm: "rabbit_password_hashing_sha256", Tags: []string{}})
		doc.Permissions = append(doc.Permissions, defsPerm{User: s.User, Vhost: vhost,
			Configure: Regex(s.Permissions.Configure), Write: Regex(s.Permissions.Write), Read: Regex(s.Permissions.Read)})
		for _, e := range s.Exchanges {
			if once("exchange", e.Name) {
				doc.Exchanges = append(doc.Exchanges, defsExchange{Name: e.Name, Vhost: vhost, Type: "topic", Durable: true, Arguments: map[string]any{}})
			}
		}
		for _, q := range s.Queues {
			if once("queue", q.Name) {
				doc.Queues = append(doc.Queues, defsQueue{Name: q.Name, Vhost: vhost, Durable: true, Arguments: service.QueueArguments(q.QueueSpec)})
			}
		}
		for _, b := range s.Bindings {
			if once("binding", b.Exchange+" "+b.Queue+" "+b.RoutingKey) {
				doc.Bindings = append(doc.Bindings, defsBinding{Source: b.Exchange, Vhost: vhost, Destination: b.Queue,
					DestinationType: "queue", RoutingKey: b.RoutingKey, Arguments: map[string]any{}})
			}
		}
	}
	for _, o := range operators {
		doc.Users = append(doc.Users, defsUser{Name: o.User, PasswordHash: "", HashingAlgorithm: "rabbit_password_hashing_sha256", Tags: o.Tags})
		doc.Permissions = append(doc.Permissions, defsPerm{User: o.User, Vhost: vhost,
			Configure: Regex(o.Permissions.Configure), Write: Regex(o.Permissions.Write), Read: Regex(o.Permissions.Read)})
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	return append(out, '\n'), err
}

// The definitions format, as rabbitmqctl export_definitions writes it.
type (
	defsDoc struct {
		Users       []defsUser     `json:"users"`
		Vhosts      []defsVhost    `json:"vhosts"`
		Permissions []defsPerm     `json:"permissions"`
		Exchanges   []defsExchange `json:"exchanges"`
		Queues      []defsQueue    `json:"queues"`
		Bindings    []defsBinding  `json:"bindings"`
	}
	defsUser struct {
		Name             string   `json:"name"`
		PasswordHash     string   `json:"password_hash"`
		HashingAlgorithm string   `json:"hashing_algorithm"`
		Tags             []string `json:"tags"`
	}
	defsVhost struct {
		Name string `json:"name"`
	}
	defsPerm struct {
		User      string `json:"user"`
		Vhost     string `json:"vhost"`
		Configure string `json:"configure"`
		Write     string `json:"write"`
		Read      string `json:"read"`
	}
	defsExchange struct {
		Name       string         `json:"name"`
		Vhost      string         `json:"vhost"`
		Type       string         `json:"type"`
		Durable    bool           `json:"durable"`
		AutoDelete bool           `json:"auto_delete"`
		Internal   bool           `json:"internal"`
		Arguments  map[string]any `json:"arguments"`
	}
	defsQueue struct {
		Name       string         `json:"name"`
		Vhost      string         `json:"vhost"`
		Durable    bool           `json:"durable"`
		AutoDelete bool           `json:"auto_delete"`
		Arguments  map[string]any `json:"arguments"`
	}
	defsBinding struct {
		Source          string         `json:"source"`
		Vhost           string         `json:"vhost"`
		Destination     string         `json:"destination"`
		DestinationType string         `json:"destination_type"`
		RoutingKey      string         `json:"routing_key"`
		Arguments       map[string]any `json:"arguments"`
	}
)
