package site

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"

	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/schema"
)

// Options adjusts the site.
type Options struct {
	// Namespace prefixes the exchange and queue names the service pages
	// show, as service.Config.Namespace does; "" is the runtime's
	// default, "evgen".
	Namespace string
}

//go:embed tmpl
var tmplFS embed.FS

// pageTemplates are the page templates, with the partials they share.
var pageTemplates = template.Must(template.ParseFS(tmplFS, "tmpl/*.html", "tmpl/*.svg"))

// Generate returns the files of the catalog of set, keyed by their names
// in the site (a flat directory): index.html, style.css, a page per
// service and per event, and each event's JSON Schema.
func Generate(set *schema.Set, opts Options) (map[string][]byte, error) {
	ns := opts.Namespace
	if ns == "" {
		ns = "evgen" // service.Config's default
	}
	if err := service.CheckNamespace(ns); err != nil {
		return nil, err
	}
	c := newCatalog(set, ns)
	style, err := tmplFS.ReadFile("tmpl/style.css")
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{styleFile: style}
	if err := render(files, indexFile, "index.html", c.indexView()); err != nil {
		return nil, err
	}
	for _, s := range set.Services {
		v, err := c.serviceView(s)
		if err != nil {
			return nil, err
		}
		if err := render(files, serviceFile(s.Name), "service.html", v); err != nil {
			return nil, err
		}
	}
	for _, ev := range c.events() {
		v, err := c.eventView(ev)
		if err != nil {
			return nil, err
		}
		files[schemaFile(ev)] = []byte(v.Schema + "\n")
		if err := render(files, eventFile(ev.Type), "event.html", v); err != nil {
			return nil, err
		}
	}
	return files, nil
}

// render executes the template tmpl over view into files[name].
func render(files map[string][]byte, name, tmpl string, view any) error {
	var b bytes.Buffer
	if err := pageTemplates.ExecuteTemplate(&b, tmpl, view); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	files[name] = b.Bytes()
	return nil
}
