package schema

import _ "embed"

// JSONSchema is evgen.schema.json, the JSON Schema (draft 2020-12) of the
// contract format, for editors: with yaml-language-server, a contract that
// starts with `# yaml-language-server: $schema=<path>/evgen.schema.json`
// gets completion and checks as it is typed. It checks the shape of one
// file; Load checks everything else.
//
//go:embed evgen.schema.json
var JSONSchema []byte
