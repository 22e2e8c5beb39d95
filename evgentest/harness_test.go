package evgentest

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/evgenhq/evgen/examples/readme/billingevents"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
)

// customers is the state of the test's billing: each user's email and
// version, written through service.Tx with a version guard.
type customers struct {
	// mailer, when set, "sends" a welcome email outside the transaction,
	// as a handler calling another system would.
	mailer *mailer
	// noGuard drops the version guard of email changes.
	noGuard bool
}

// mailer keeps the emails sent, in memory.
type mailer struct {
	mu   sync.Mutex
	sent []string
}

func (m *mailer) send(to string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, to)
}

func (c customers) HandleUserRegistered(ctx context.Context, e billingevents.UserRegistered, _ runtime.Meta) error {
	if c.mailer != nil {
		c.mailer.send(e.Email)
	}
	_, err := service.Tx(ctx).ExecContext(ctx,
		`INSERT INTO customers (user_id, email, version) VALUES (?, ?, ?) ON CONFLICT (user_id) DO NOTHING`, e.UserID, e.Email, e.Version)
	return err
}

func (c customers) HandleUserEmailChanged(ctx context.Context, e billingevents.UserEmailChanged, _ runtime.Meta) error {
	if e.Email == "refused@example.com" {
		return errors.New("this address is refused")
	}
	q := `UPDATE customers SET email = ?, version = ? WHERE user_id = ? AND version < ?`
	if c.noGuard {
		q = `UPDATE customers SET email = ?, version = ? WHERE user_id = ? AND ? > 0`
	}
	_, err := service.Tx(ctx).ExecContext(ctx, q, e.Email, e.Version, e.UserID, e.Version)
	return err
}

func billingSpec(h customers) Spec[billingevents.Handlers] {
	return NewSpec(billingevents.Contract, billingevents.RegisterHandlers, func(ctx context.Context, db *sql.DB) (billingevents.Handlers, error) {
		if h.mailer != nil {
			h.mailer = &mailer{} // one per run
		}
		_, err := db.ExecContext(ctx, `CREATE TABLE customers (user_id TEXT PRIMARY KEY, email TEXT NOT NULL, version INTEGER NOT NULL)`)
		return h, err
	})
}

// billingState is each customer's "email@version", and the emails sent.
func billingState(ctx context.Context, svc *Service[billingevents.Handlers]) ([]string, error) {
	rows, err := svc.DB().QueryContext(ctx, `SELECT user_id || ' ' || email || '@' || version FROM customers ORDER BY user_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	if m := svc.Handlers().(customers).mailer; m != nil {
		m.mu.Lock()
		defer m.mu.Unlock()
		out = append(out, "sent: "+strings.Join(m.sent, ","))
	}
	return out, rows.Err()
}

var testTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

const (
	ada   = "0190a6e4-6f1e-7c3a-8d1e-2b7f1c9a0001"
	grace = "0190a6e4-6f1e-7c3a-8d1e-2b7f1c9a0002"
)

// usersEvents are two users' registrations and email changes.
var usersEvents = []runtime.Event{
	billingevents.UserRegistered{UserID: ada, Email: "ada@example.com", Version: 1},
	billingevents.UserRegistered{UserID: grace, Email: "grace@example.com", Version: 1},
	billingevents.UserEmailChanged{UserID: ada, Email: "ada@new.example.com", Version: 2},
	billingevents.UserEmailChanged{UserID: grace, Email: "grace@new.example.com", Version: 2},
	billingevents.UserEmailChanged{UserID: ada, Email: "ada@third.example.com", Version: 3},
}
