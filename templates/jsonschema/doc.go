// Package jsonschema maps evgen contract types to JSON Schema, describing
// the JSON the generated Go code encodes and accepts (runtime/wire), and
// renders one draft 2020-12 schema file per event version, for teams that
// integrate in other languages and for a CloudEvents dataschema.
//
// The mapping (Event, Named, Type) is the only one in evgen: the AsyncAPI
// document (package templates/asyncapi) embeds the same schemas, with
// named types referenced where that document keeps them. Like the rest of
// templates, it is pure: files come back in memory and cmd writes them.
package jsonschema
