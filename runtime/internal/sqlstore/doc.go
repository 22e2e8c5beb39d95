// Package sqlstore is the code the postgres and sqlite stores share: their options
// and its defaults, transactions run to completion, and the inbox
// transaction over a *sql.Tx. What differs between the two databases, the
// SQL of each statement, is given by each store in a Dialect.
package sqlstore
