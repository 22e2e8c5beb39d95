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
}
