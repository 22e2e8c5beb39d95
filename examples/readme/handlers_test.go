package main

import (
	"context"
	"database/sql"
	"testing"

	"github.com/evgenhq/evgen/evgentest"
	"github.com/evgenhq/evgen/examples/readme/billingevents"
	"github.com/evgenhq/evgen/runtime"
)

// spec is the service under test: billing's generated package and its
// handlers, on a new SQLite database in memory with billing's tables.
var spec = evgentest.NewSpec(billingevents.Contract, billingevents.RegisterHandlers,
	func(ctx context.Context, db *sql.DB) (billingevents.Handlers, error) {
		return handlers{}, migrate(ctx, db)
	})

const ada = "0190a6e4-6f1e-7c3a-8d1e-2b7f1c9a0001"

func TestEmailChangeReachesTheCopy(t *testing.T) {
	svc := evgentest.Start(t, spec)
	svc.Deliver(billingevents.UserRegistered{UserID: ada, Email: "ada@example.com", Version: 1})
	// Deliver returns once the event's inbox transaction committed, or the
	// event was dead-lettered: no polling.
	d := svc.Deliver(billingevents.UserEmailChanged{UserID: ada, Email: "ada@new.example.com", Version: 2})
	if !d.Handled {
		t.Fatalf("email change: %s", d)
	}
	var email string
	err := svc.DB().QueryRow(`SELECT email FROM customers WHERE user_id = ?`, ada).Scan(&email)
	if err != nil || email != "ada@new.example.com" {
		t.Fatalf("billing's copy has %q (%v), want ada@new.example.com", email, err)
	}
}

// TestEachChangeTakesEffectOnce delivers the events straight, then each
// twice around a crash, then in the orders users' contract allows, and
// fails with the first sequence that ends in another state.
func TestEachChangeTakesEffectOnce(t *testing.T) {
	grace := "0190a6e4-6f1e-7c3a-8d1e-2b7f1c9a0002"
	events := []runtime.Event{
		billingevents.UserRegistered{UserID: ada, Email: "ada@example.com", Version: 1},
		billingevents.UserRegistered{UserID: grace, Email: "grace@example.com", Version: 1},
		billingevents.UserEmailChanged{UserID: ada, Email: "ada@new.example.com", Version: 2},
		billingevents.UserEmailChanged{UserID: grace, Email: "grace@new.example.com", Version: 2},
	}
	evgentest.Check(t, spec, events, customers)
}

// customers is billing's copy of each user: email and version.
func customers(ctx context.Context, svc *evgentest.Service[billingevents.Handlers]) (map[string]string, error) {
	rows, err := svc.DB().QueryContext(ctx, `SELECT user_id, email || ' v' || version FROM customers`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	copies := map[string]string{}
	for rows.Next() {
		var id, c string
		if err := rows.Scan(&id, &c); err != nil {
			return nil, err
		}
		copies[id] = c
	}
	return copies, rows.Err()
}
