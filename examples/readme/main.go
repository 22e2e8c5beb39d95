// Command billing is the service of the README's contract, complete: it
// keeps a copy of each user's email from users' events, and records
// payments, publishing InvoicePaid through the outbox.
package main

import (
	"context"
	"database/sql"
	"errors"
	"log"
	"os"
	"os/signal"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/evgenhq/evgen/examples/readme/billingevents"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store"
	"github.com/evgenhq/evgen/runtime/store/open"
	_ "github.com/evgenhq/evgen/runtime/store/sqlite" // file paths; runtime/store/postgres for postgres:// URLs
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := run(ctx, "billing.db", "amqp://guest:guest@127.0.0.1:5672/")
	if err != nil && !errors.Is(err, context.Canceled) {
		log.Fatal(err)
	}
}

func run(ctx context.Context, dsn, amqpURL string) error {
	// The inbox and outbox live in the service's own database: a SQLite file
	// (runtime/store/sqlite) or a postgres:// URL (runtime/store/postgres).
	st, err := open.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer st.DB().Close()
	if err := migrate(ctx, st.DB()); err != nil { // the service's own tables
		return err
	}
	svc, err := service.New(service.Config{
		Contract:  billingevents.Contract, // the topology is declared from it
		Transport: service.AMQP(amqpURL),
		Store:     st,
		Metrics:   prometheus.DefaultRegisterer,
	})
	if err != nil {
		return err
	}
	// One method per consumed event.
	if err := billingevents.RegisterHandlers(svc, handlers{}); err != nil {
		return err
	}
	return svc.Run(ctx) // connects, declares, consumes, relays the outbox
}

func migrate(ctx context.Context, db *sql.DB) error {
	_, err := db.ExecContext(ctx, `
		CREATE TABLE IF NOT EXISTS customers (user_id TEXT PRIMARY KEY, email TEXT NOT NULL, version INTEGER NOT NULL);
		CREATE TABLE IF NOT EXISTS payments (invoice_id TEXT PRIMARY KEY, amount_cents INTEGER NOT NULL)`)
	return err
}

// handlers handles users' events. A handler's writes, the inbox mark and
// the events it publishes commit together. Users' contract orders a user's
// events by version (order_by), so the runtime drops an event older than
// one it applied before a handler runs: no version checks here.
type handlers struct{}

func (handlers) HandleUserRegistered(ctx context.Context, e billingevents.UserRegistered, m runtime.Meta) error {
	_, err := service.Tx(ctx).ExecContext(ctx,
		`INSERT INTO customers (user_id, email, version) VALUES (?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, version = excluded.version`,
		e.UserID, e.Email, e.Version)
	return err
}

func (handlers) HandleUserEmailChanged(ctx context.Context, e billingevents.UserEmailChanged, m runtime.Meta) error {
	_, err := service.Tx(ctx).ExecContext(ctx,
		`UPDATE customers SET email = ?, version = ? WHERE user_id = ?`, e.Email, e.Version, e.UserID)
	return err
}

// payInvoice records a payment and its event in one transaction: the
// outbox sends InvoicePaid once the payment is committed, and only then.
func payInvoice(ctx context.Context, st store.Store, paid billingevents.InvoicePaid) error {
	tx, err := st.DB().BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() // does nothing once committed
	_, err = tx.ExecContext(ctx, `INSERT INTO payments (invoice_id, amount_cents) VALUES (?, ?)`,
		paid.InvoiceID, paid.AmountCents)
	if err != nil {
		return err
	}
	if err := billingevents.NewPublisher(st.Publisher(tx)).PublishInvoicePaid(ctx, paid); err != nil {
		return err
	}
	return tx.Commit()
}
