package site

import (
	"bytes"
	"testing"

	"github.com/evgenhq/evgen/templates/jsonschema"
)

// TestSchemasAreEvgenJSONSchemas expects each event's schema file to be
// the document evgen jsonschema writes for the event, byte for byte, so
// that the catalog and the published schemas cannot disagree.
func TestSchemasAreEvgenJSONSchemas(t *testing.T) {
	set := examples(t)
	site := generate(t, set)
	want, err := jsonschema.Files(set, nil, jsonschema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string][]byte{}
	for _, f := range want {
		byName[f.Name] = f.Data
	}
	for _, s := range set.Services {
		for _, ev := range s.Events {
			got, name := site[schemaFile(ev)], jsonschema.FileName(ev)
			if byName[name] == nil || !bytes.Equal(got, byName[name]) {
				t.Errorf("%s is not evgen jsonschema's %s:\n%s", schemaFile(ev), name, got)
			}
		}
	}
}
