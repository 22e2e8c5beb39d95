package site

import "github.com/evgenhq/evgen/schema"

// The site is flat, every file at its root, so that every link between
// pages is a bare file name and works from any directory the site is
// copied to.
const (
	indexFile = "index.html"
	styleFile = "style.css"
)

// serviceFile is the page of the service named name: service.billing.html.
func serviceFile(name string) string { return "service." + name + ".html" }

// eventFile is the page of the event of wire type typ:
// event.users.UserRegistered.html.
func eventFile(typ string) string { return "event." + typ + ".html" }

// schemaFile is the JSON Schema of an event's payload:
// event.users.UserRegistered.schema.json.
func schemaFile(ev *schema.Event) string { return "event." + ev.Type + ".schema.json" }
