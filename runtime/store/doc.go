// Package store holds the interfaces between the engine (runtime/service)
// and a store: the inbox that records applied events, the outbox that
// relays events written in a transaction, log positions for sync, and the
// set-aside rows an operator inspects. The stores implement them in the
// folders below: memory, sqlite, postgres; open picks one from a DSN, and
// storetest is the conformance suite each runs.
package store
