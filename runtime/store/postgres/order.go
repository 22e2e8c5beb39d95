package postgres

import "github.com/evgenhq/evgen/runtime/internal/sqlstore"

// orderTable is the quoted name of the table of the order value of the
// last event applied, per consumer and entity (see store.OrderTx).
func (s *Store) orderTable() string { return `"` + s.opts.TablePrefix + `inbox_order"` }

// orderSchema creates the table; in an existing database it is new, so
// CREATE TABLE IF NOT EXISTS is its migration.
func (s *Store) orderSchema() []sqlstore.Query {
	return []sqlstore.Query{{Query: `CREATE TABLE IF NOT EXISTS ` + s.orderTable() + ` (
		consumer    TEXT NOT NULL,
		producer    TEXT NOT NULL,
		key_field   TEXT NOT NULL,
		key_value   TEXT NOT NULL,
		order_value BIGINT NOT NULL,
		applied_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
		PRIMARY KEY (consumer, producer, key_field, key_value)
	)`}}
}

// advanceQuery writes a greater order value only; an equal or smaller one
// changes no row, which tells Advance that the event is stale. A
// concurrent transaction that wrote the entity's row first makes this one
// wait for its end, and READ COMMITTED then compares with the row as that
// one left it: the row only ever moves forward.
func (s *Store) advanceQuery() string {
	return `INSERT INTO ` + s.orderTable() + ` AS o (consumer, producer, key_field, key_value, order_value) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (consumer, producer, key_field, key_value) DO UPDATE SET order_value = EXCLUDED.order_value, applied_at = now()
		WHERE o.order_value < EXCLUDED.order_value`
}
