package jsonschema

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/evgenhq/evgen/internal/ordered"
	"github.com/evgenhq/evgen/schema"
)

// Draft is the JSON Schema dialect of the files.
const Draft = "https://json-schema.org/draft/2020-12/schema"

// File is one generated schema file.
type File struct {
	Name string // "<producer>.<Event>.v<version>.schema.json"
	Data []byte
}

// FileName is the name of ev's schema file.
func FileName(ev *schema.Event) string {
	return ev.Type + ".v" + strconv.Itoa(ev.Version) + ".schema.json"
}

// Options are the settings of Files.
type Options struct {
	// BaseURL is where the files will be published; when set, each
	// schema's $id is BaseURL + "/" + its file name, the URL a CloudEvents
	// dataschema attribute names. It must be an absolute URL.
	BaseURL string
}

// Files renders the schema files of the events: svc's own and consumed
// ones, or, when svc is nil, every event of the set. They are sorted by
// name.
func Files(set *schema.Set, svc *schema.Service, opts Options) ([]File, error) {
	base, err := baseURL(opts.BaseURL)
	if err != nil {
		return nil, err
	}
	var out []File
	for _, ev := range events(set, svc) {
		doc := Document(ev)
		if base != "" {
			doc = ordered.New().Set("$schema", Draft).Set("$id", base+FileName(ev)).Merge(doc)
		}
		data, err := ordered.JSON(doc)
		if err != nil {
			return nil, fmt.Errorf("event %s: %w", ev.Type, err)
		}
		out = append(out, File{Name: FileName(ev), Data: data})
	}
	slices.SortFunc(out, func(a, b File) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// baseURL checks raw is an absolute URL and returns it ending in "/".
func baseURL(raw string) (string, error) {
	if raw == "" {
		return "", nil
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return "", fmt.Errorf("base URL %q: want an absolute URL such as https://example.com/schemas", raw)
	}
	return strings.TrimSuffix(raw, "/") + "/", nil
}

// events is svc's events, own and consumed, or the set's when svc is nil.
func events(set *schema.Set, svc *schema.Service) []*schema.Event {
	var out []*schema.Event
	if svc != nil {
		for _, d := range svc.Package.Events {
			out = append(out, d.Event)
		}
		return out
	}
	for _, s := range set.Services {
		out = append(out, s.Events...)
	}
	return out
}

// Document is the standalone schema of ev's payload, its named types under
// $defs.
func Document(ev *schema.Event) *ordered.Map {
	doc := ordered.New().
		Set("$schema", Draft).
		Set("title", ev.Type+" v"+strconv.Itoa(ev.Version))
	ref := func(n *schema.NamedType) string { return "#/$defs/" + DefName(n) }
	eventInto(doc, ev, ref)
	if uses := Uses(ev); len(uses) > 0 {
		defs := ordered.New()
		for _, n := range uses {
			defs.Set(DefName(n), Named(n, ref))
		}
		doc.Set("$defs", defs)
	}
	return doc
}

func sortNamed(ns []*schema.NamedType) {
	slices.SortFunc(ns, func(a, b *schema.NamedType) int { return strings.Compare(DefName(a), DefName(b)) })
}
