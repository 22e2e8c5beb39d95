package app

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/evgenhq/evgen/runtime/store/sqlite"
)

// A change of the user read before billing's last invoice was paid, and
// written after clearSettledReason cleared the refusal's reason, must not
// bring the reason back: clearing keeps the version, so the change's
// optimistic lock cannot see it.
func TestChangeAfterClearedReasonKeepsItCleared(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "users.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := createTables(ctx, db); err != nil {
		t.Fatal(err)
	}
	const id, invoice = "0190a6e4-6f1e-7c3a-8d1e-2b7f1c9a0002", "0190a6e4-6f1e-7c3a-8d1e-2b7f1c9a0001"
	now := time.Now().UTC()
	if err := insertUser(ctx, db, User{ID: id, Email: "ada@example.com", Name: "Ada", Plan: "pro", Status: StatusActive, Version: 1, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `UPDATE users SET status_reason = 'unpaid invoices' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	read, err := getUser(ctx, db, id) // a change starts, with the reason
	if err != nil {
		t.Fatal(err)
	}
	if err := recordInvoice(ctx, db, invoice, id, 1250, invoicePaid); err != nil {
		t.Fatal(err)
	}
	if err := clearSettledReason(ctx, db, id); err != nil {
		t.Fatal(err)
	}
	changed := read
	changed.Email, changed.Version, changed.UpdatedAt = "ada@work.example", read.Version+1, now
	if err := updateUser(ctx, db, changed, read.Version); err != nil {
		t.Fatal(err)
	}
	got, err := getUser(ctx, db, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.StatusReason != "" || got.Email != "ada@work.example" {
		t.Errorf("after the change: email %q, reason %q; want the new email and the reason still cleared", got.Email, got.StatusReason)
	}
}
