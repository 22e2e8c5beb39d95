package asyncapi

import (
	"fmt"
	"strconv"

	"github.com/evgenhq/evgen/internal/ordered"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/schema"
	"github.com/evgenhq/evgen/templates/jsonschema"
)

// Version is the AsyncAPI version of the document.
const Version = "3.0.0"

// bindingVersion is the AMQP bindings version the document follows.
const bindingVersion = "0.3.0"

// Options are the settings of the running service the document describes.
type Options struct {
	// Namespace prefixes exchange and queue names, as service.Config's;
	// "" is the runtime's default, "evgen".
	Namespace string
}

// Generate renders the AsyncAPI document of svc as YAML.
func Generate(svc *schema.Service, opts Options) ([]byte, error) {
	if opts.Namespace != "" {
		if err := service.CheckNamespace(opts.Namespace); err != nil {
			return nil, err
		}
	}
	data, err := ordered.YAML(Document(svc, opts))
	if err != nil {
		return nil, fmt.Errorf("asyncapi %s: %w", svc.Name, err)
	}
	return data, nil
}

// Document is the AsyncAPI document of svc.
func Document(svc *schema.Service, opts Options) *ordered.Map {
	t := namesOf(svc, opts)
	info := ordered.New().Set("title", svc.Name).Set("version", infoVersion)
	if svc.Doc != "" {
		info.Set("description", svc.Doc)
	}
	doc := ordered.New().
		Set("asyncapi", Version).
		Set("info", info).
		Set("defaultContentType", runtime.ContentType)
	if ch := channels(svc, t); ch.Len() > 0 {
		doc.Set("channels", ch)
		doc.Set("operations", operations(svc))
	}
	return doc.Set("components", components(svc))
}

// infoVersion is the document's own version. Contracts carry no version
// of a service, only of each event, which each message states.
const infoVersion = "1.0.0"

// own and consumed are svc's events by side, in the package's order.
func own(svc *schema.Service) (out []*schema.Event) {
	for _, d := range svc.Package.Events {
		if d.Own {
			out = append(out, d.Event)
		}
	}
	return out
}

func consumed(svc *schema.Service) (out []*schema.Event) {
	for _, d := range svc.Package.Events {
		if !d.Own {
			out = append(out, d.Event)
		}
	}
	return out
}

// messageID is the key of ev's message and payload schema:
// "users.UserRegistered.v1", its routing key.
func messageID(ev *schema.Event) string { return runtime.RoutingKey(ev.Type, ev.Version) }

// ref is a $ref object.
func ref(pointer string) *ordered.Map { return ordered.New().Set("$ref", pointer) }

// schemaRef is where a named type's schema is in the document.
func schemaRef(n *schema.NamedType) string {
	return "#/components/schemas/" + jsonschema.DefName(n)
}

func versionText(ev *schema.Event) string { return ev.Type + " v" + strconv.Itoa(ev.Version) }
