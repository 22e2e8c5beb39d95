package runtime

// Contract describes one service as its generated package sees it: what it
// publishes and what it consumes. The runtime declares the RabbitMQ
// topology from it.
type Contract struct {
	Service   string      // service name, [a-z][a-z0-9_]*
	Publishes []EventInfo // own events, in contract order
	Consumes  []EventInfo // consumed events, sorted by producer, then contract order
}

// EventInfo describes one event type in a Contract.
type EventInfo struct {
	Producer string // producing service
	Name     string // event name in the producer's contract, "UserRegistered"
	Type     string // Producer + "." + Name
	Version  int    // contract version, at least 1
	Key      string // wire name of the key field, "" when none
	OrderBy  string // wire name of the integer field that orders Key's events (order_by:), "" when none
	// Emits, in a Consumes entry, are the types of the consumer's own
	// events that its handler publishes in reaction, as the contract
	// declares them (`emits:`). EmitsDeclared is false when the contract
	// declares none: the runtime then checks nothing. A handler that
	// publishes a type not in a declared Emits is counted in
	// evgen_undeclared_emits_total and logged; see reactions.go.
	Emits         []string
	EmitsDeclared bool
}
