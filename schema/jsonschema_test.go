package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

// stringKeys turns mapping keys that YAML reads as numbers (the version
// numbers of older_versions) into strings, as a YAML language server's
// conversion to JSON does.
func stringKeys(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = stringKeys(e)
		}
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[fmt.Sprint(k)] = stringKeys(e)
		}
		return m
	case []any:
		for i, e := range v {
			v[i] = stringKeys(e)
		}
	}
	return v
}

func compileJSONSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(JSONSchema))
	if err != nil {
		t.Fatalf("evgen.schema.json: %v", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("evgen.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("evgen.schema.json")
	if err != nil {
		t.Fatalf("compile evgen.schema.json: %v", err)
	}
	return sch
}

// yamlToJSON decodes a contract as an editor's YAML language server does.
func yamlToJSON(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatalf("yaml: %v", err)
	}
	b, err := json.Marshal(stringKeys(v))
	if err != nil {
		t.Fatalf("json: %v", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// exampleContracts lists every valid contract in the repository: the
// valid_* cases here and every YAML file under examples/.
func exampleContracts(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("testdata/valid_*/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir("../examples", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && IsContractFile(path) {
			files = append(files, path)
		}
		return err
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return files
}

func TestJSONSchemaAcceptsExamples(t *testing.T) {
	sch := compileJSONSchema(t)
	files := exampleContracts(t)
	if len(files) < 2 {
		t.Fatalf("found %d example contracts, want the valid_* cases at least", len(files))
	}
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(yamlToJSON(t, data)); err != nil {
			t.Errorf("%s: %v", path, err)
		}
	}
}

func TestJSONSchemaRejects(t *testing.T) {
	sch := compileJSONSchema(t)
	const head = "evgen: 1\nservice: users\n"
	for _, tc := range []struct{ name, yaml string }{
		{"missing evgen", "service: users\n"},
		{"version 2", "evgen: 2\nservice: users\n"},
		{"bad service name", "evgen: 1\nservice: Users\n"},
		{"unknown key", head + "events:\n  E:\n    feilds: {a: string}\n"},
		{"unknown type", head + "events:\n  E:\n    fields: {a: uuidd}\n"},
		{"two map arguments", head + "events:\n  E:\n    fields: {a: \"map<string,int64>\"}\n"},
		{"bad event name", head + "events:\n  user_registered: {}\n"},
		{"bad field name", head + "events:\n  E:\n    fields: {userId: string}\n"},
		{"snapshot without key", head + "events:\n  E: {snapshot: true, fields: {a: string}}\n"},
		{"version 0", head + "events:\n  E: {version: 0}\n"},
		{"empty enum", head + "types:\n  Plan: {enum: []}\n"},
		{"enum and fields", head + "types:\n  Plan: {enum: [a], fields: {a: string}}\n"},
		{"consumes not a list", head + "consumes:\n  billing: InvoiceIssued\n"},
		{"bad as", head + "consumes:\n  billing: [{event: InvoiceIssued, as: invoice}]\n"},
		{"emits not a list", head + "consumes:\n  billing: [{event: InvoiceIssued, emits: UserDeleted}]\n"},
		{"emits twice", head + "consumes:\n  billing: [{event: InvoiceIssued, emits: [UserDeleted, UserDeleted]}]\n"},
		{"emits bad name", head + "consumes:\n  billing: [{event: InvoiceIssued, emits: [user_deleted]}]\n"},
		{"optional not bool", head + "events:\n  E:\n    fields: {a: {type: string, optional: \"yes\"}}\n"},
		{"older version not a number", head + "events:\n  E:\n    version: 2\n    older_versions: {one: {fields: {a: string}}}\n"},
		{"older version unknown key", head + "events:\n  E:\n    version: 2\n    older_versions: {1: {key: a}}\n"},
		{"consumed version 0", head + "consumes:\n  billing: [{event: InvoiceIssued, version: 0}]\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := sch.Validate(yamlToJSON(t, []byte(tc.yaml))); err == nil {
				t.Errorf("schema accepted:\n%s", tc.yaml)
			}
			if _, err := LoadSources(Source{Name: "in.yaml", Data: []byte(tc.yaml)}); err == nil {
				t.Errorf("Load accepted what the JSON Schema rejects:\n%s", tc.yaml)
			}
		})
	}
}
