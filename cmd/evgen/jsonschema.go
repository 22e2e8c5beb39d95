package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/evgenhq/evgen/schema"
	"github.com/evgenhq/evgen/templates/jsonschema"
)

const jsonschemaUsage = `usage: evgen jsonschema [-service name] [-base-url url] -out dir path...

Jsonschema loads a contract set and writes the JSON Schema (draft 2020-12)
of each event version's payload into dir, one file per event version:

	<producer>.<Event>.v<N>.schema.json

Each schema accepts the JSON the generated Go code encodes and rejects
what its decoder rejects: required fields, enum values, the forms of
uuid, decimal, date, duration and timestamp strings. Named types are under
$defs. The files suit a team writing a producer or consumer in another
language, and, published at a URL (-base-url), a CloudEvents dataschema
attribute. They are the payload schemas of evgen asyncapi's document.

Paths are as for evgen validate. Files already in dir are overwritten;
no other file is touched.

Flags:
  -service name   only the events this service publishes or consumes;
                  every event of the set when left out
  -base-url url   where the files will be published, such as
                  https://example.com/schemas: each schema's $id is this
                  URL and its file name, for a dataschema attribute
  -out dir        the directory to write to, created if needed

Exit status: 0 on success, 1 when the contracts are invalid (the problems
go to stderr), 2 for a usage error such as a bad flag, an unknown service
or a directory that cannot be written.
`

// runJSONSchema is evgen jsonschema.
func runJSONSchema(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("jsonschema", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {}
	service := fs.String("service", "", "only this service's events")
	out := fs.String("out", "", "the directory to write to")
	base := fs.String("base-url", "", "where the files will be published")
	if code, ok := parseFlags(fs, args, "jsonschema", jsonschemaUsage, stdout, stderr); !ok {
		return code
	}
	if *out == "" {
		return usageError(stderr, "jsonschema", "-out is required: the directory to write the schemas to")
	}
	set, code, ok := loadSet(fs.Args(), "jsonschema", stderr)
	if !ok {
		return code
	}
	var svc *schema.Service
	if *service != "" {
		name, err := pickService(set, *service)
		if err != nil {
			return commandError(stderr, "jsonschema", err)
		}
		svc = serviceNamed(set, name)
	}
	files, err := jsonschema.Files(set, svc, jsonschema.Options{BaseURL: *base})
	if err == nil {
		err = writeSchemas(*out, files)
	}
	if err != nil {
		return commandError(stderr, "jsonschema", err)
	}
	return exitOK
}

// writeSchemas writes files into dir, creating it.
func writeSchemas(dir string, files []jsonschema.File) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create output directory: %w", err)
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644); err != nil {
			return fmt.Errorf("write schema: %w", err)
		}
	}
	return nil
}
