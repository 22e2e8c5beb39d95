// Package schema loads evgen contracts: YAML files, one per service, that
// declare the events a service owns and the events it consumes from others.
//
// Load and LoadSources parse a contract set, check every rule of the
// contract language and return the resolved model (Set), with every Go name
// the generator needs decided once, here. Invalid input yields *Errors: every
// problem of the whole set, each with its file position. docs/contracts.md
// is the reference of the format.
package schema
