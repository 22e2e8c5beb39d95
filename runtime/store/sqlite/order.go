package sqlite

// orderTable is the quoted name of the table of the order value of the
// last event applied, per consumer and entity (see store.OrderTx).
func (s *Store) orderTable() string { return `"` + s.opts.TablePrefix + `inbox_order"` }

// applied_at is Unix nanoseconds, like the inbox's. The table is new
// in an existing database: CREATE TABLE IF NOT EXISTS is its migration.
func (s *Store) orderSchema() []string {
	return []string{`CREATE TABLE IF NOT EXISTS ` + s.orderTable() + ` (
		consumer    TEXT NOT NULL,
		producer    TEXT NOT NULL,
		key_field   TEXT NOT NULL,
		key_value   TEXT NOT NULL,
		order_value INTEGER NOT NULL,
		applied_at  INTEGER NOT NULL,
		PRIMARY KEY (consumer, producer, key_field, key_value)
	)`}
}

// advanceQuery writes a greater order value only; an equal or smaller one
// changes no row, which tells Advance that the event is stale.
func (s *Store) advanceQuery() string {
	return `INSERT INTO ` + s.orderTable() + ` (consumer, producer, key_field, key_value, order_value, applied_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (consumer, producer, key_field, key_value) DO UPDATE SET order_value = excluded.order_value, applied_at = excluded.applied_at
		WHERE order_value < excluded.order_value`
}
