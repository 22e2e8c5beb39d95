// Package contracts holds the contracts of the README's example: billing's,
// and users', which billing consumes from.
package contracts

//go:generate go run github.com/evgenhq/evgen/cmd/evgen generate -service billing -out ../billingevents .
