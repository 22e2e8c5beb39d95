package topology

import (
	"encoding/json"

	"github.com/evgenhq/evgen/runtime/service"
)

// JSON renders services for programs: the same content as Text, with each
// permission's regular expression next to its grants and each queue's
// arguments as the runtime declares them.
func JSON(services []Service, operators ...Operator) ([]byte, error) {
	doc := jsonDoc{Services: make([]jsonService, len(services))}
	for i, s := range services {
		doc.Services[i] = jsonServiceOf(s)
	}
	for _, o := range operators {
		doc.Operators = append(doc.Operators, jsonOperator{User: o.User, Tags: o.Tags, Overreach: o.Overreach, Permissions: jsonPerms{
			Configure: jsonPermOf(o.Permissions.Configure), Write: jsonPermOf(o.Permissions.Write), Read: jsonPermOf(o.Permissions.Read),
		}})
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	return append(out, '\n'), err
}

type jsonDoc struct {
	Services  []jsonService  `json:"services"`
	Operators []jsonOperator `json:"operators,omitempty"`
}

type jsonOperator struct {
	User        string    `json:"user"`
	Tags        []string  `json:"tags"`
	Permissions jsonPerms `json:"permissions"`
	Overreach   []string  `json:"beyond_need"`
}

type jsonService struct {
	Service     string         `json:"service"`
	User        string         `json:"user"`
	Exchanges   []jsonExchange `json:"exchanges"`
	Queues      []jsonQueue    `json:"queues"`
	Bindings    []jsonBinding  `json:"bindings"`
	Permissions jsonPerms      `json:"permissions"`
	Overreach   []string       `json:"beyond_need"`
}

type jsonExchange struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Producer string `json:"producer"`
}

type jsonQueue struct {
	Name      string         `json:"name"`
	Role      Role           `json:"role"`
	Type      string         `json:"type"`
	Arguments map[string]any `json:"arguments"`
}

type jsonBinding struct {
	Queue      string `json:"queue"`
	Exchange   string `json:"exchange"`
	RoutingKey string `json:"routing_key"`
}

type jsonPerms struct {
	Configure jsonPerm `json:"configure"`
	Write     jsonPerm `json:"write"`
	Read      jsonPerm `json:"read"`
}

type jsonPerm struct {
	Regex  string  `json:"regex"`
	Grants []Grant `json:"grants"`
}

func jsonServiceOf(s Service) jsonService {
	out := jsonService{Service: s.Name, User: s.User, Overreach: append([]string{}, s.Overreach...),
		Exchanges: []jsonExchange{}, Queues: []jsonQueue{}, Bindings: []jsonBinding{},
		Permissions: jsonPerms{
			Configure: jsonPermOf(s.Permissions.Configure),
			Write:     jsonPermOf(s.Permissions.Write),
			Read:      jsonPermOf(s.Permissions.Read),
		}}
	for _, e := range s.Exchanges {
		out.Exchanges = append(out.Exchanges, jsonExchange{Name: e.Name, Type: "topic", Producer: e.Producer})
	}
	for _, q := range s.Queues {
		out.Queues = append(out.Queues, jsonQueue{Name: q.Name, Role: q.Role, Type: string(q.Type), Arguments: service.QueueArguments(q.QueueSpec)})
	}
	for _, b := range s.Bindings {
		out.Bindings = append(out.Bindings, jsonBinding{Queue: b.Queue, Exchange: b.Exchange, RoutingKey: b.RoutingKey})
	}
	return out
}

func jsonPermOf(grants []Grant) jsonPerm {
	if grants == nil {
		grants = []Grant{}
	}
	return jsonPerm{Regex: Regex(grants), Grants: grants}
}
