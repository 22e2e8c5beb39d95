package evgentest

import (
	"context"
	"database/sql"

	"github.com/evgenhq/evgen/runtime"
)

// Spec is a service under test, made from its generated package: the
// Contract (which also says what each producer it consumes from
// publishes, so no producer needs faking) and RegisterHandlers, and a
// function that builds the handlers on a new database. Make it with
// NewSpec; Start and Check take it.
type Spec[H any] struct {
	contract runtime.Contract
	register func(runtime.Registrar, H) error
	build    func(ctx context.Context, db *sql.DB) (H, error)
	// MaxAttempts is how many times a failing handler is called before
	// its event is dead-lettered; default 3. The attempts follow each
	// other at once: the harness does not wait out the service's backoff.
	MaxAttempts int
	// Orderings is the most reorderings of the events Check applies;
	// default 8.
	Orderings int
}

// NewSpec describes the service of a generated package: contract is its
// Contract, register its RegisterHandlers, and build creates the
// service's own tables in db and returns its handlers. build must return
// the generated Handlers interface (not the type implementing it), so
// that Go infers H. Handlers write through service.Tx(ctx) as in
// production: db is a real SQLite database, in memory.
//
//	spec := evgentest.NewSpec(billingevents.Contract, billingevents.RegisterHandlers,
//		func(ctx context.Context, db *sql.DB) (billingevents.Handlers, error) {
//			return handlers{}, migrate(ctx, db)
//		})
func NewSpec[H any](contract runtime.Contract, register func(runtime.Registrar, H) error, build func(ctx context.Context, db *sql.DB) (H, error)) Spec[H] {
	return Spec[H]{contract: contract, register: register, build: build}
}

func (s Spec[H]) maxAttempts() int {
	if s.MaxAttempts > 0 {
		return s.MaxAttempts
	}
	return 3
}

func (s Spec[H]) orderings() int {
	if s.Orderings > 0 {
		return s.Orderings
	}
	return 8
}

// consumed is the contract's entry for an event type and version; false
// when the service does not consume it.
func (s Spec[H]) consumed(typ string, version int) (runtime.EventInfo, bool) {
	for _, e := range s.contract.Consumes {
		if e.Type == typ && e.Version == version {
			return e, true
		}
	}
	return runtime.EventInfo{}, false
}

// producerContract is what producer publishes as far as this service is
// concerned: the events of producer it consumes, taken from its contract.
// The producer's own contract may hold more; none of it reaches here.
func (s Spec[H]) producerContract(producer string) (runtime.Contract, bool) {
	c := runtime.Contract{Service: producer}
	for _, e := range s.contract.Consumes {
		if e.Producer == producer {
			e.Emits, e.EmitsDeclared = nil, false
			c.Publishes = append(c.Publishes, e)
		}
	}
	return c, len(c.Publishes) > 0
}
