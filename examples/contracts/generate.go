// Package contracts holds the contracts of the example services, users and
// billing, and the go:generate lines that turn them into each service's
// typed event package. It has no Go code of its own.
package contracts

//go:generate go run github.com/evgenhq/evgen/cmd/evgen generate -service users -out ../users/usersevents .
//go:generate go run github.com/evgenhq/evgen/cmd/evgen generate -service billing -out ../billing/billingevents .
