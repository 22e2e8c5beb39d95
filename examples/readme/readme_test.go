package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/evgenhq/evgen/examples/readme/billingevents"
	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/store/open"
)

// shownInREADME are the files the README shows whole, each in the fenced
// block after a `<!-- file: examples/readme/PATH -->` line. That the
// package builds and these blocks equal the files is what keeps the README's
// program complete and compiling.
var shownInREADME = []string{"contracts/billing.yaml", "contracts/generate.go", "main.go", "handlers_test.go"}

// readmeBlock matches a file marker and the fenced block after it.
var readmeBlock = regexp.MustCompile("(?s)<!-- file: examples/readme/([^ ]+) -->\n```[a-z]*\n(.*?)```\n")

func TestREADMEShowsTheFilesAsTheyAre(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := map[string][]byte{}
	for _, m := range readmeBlock.FindAllSubmatch(readme, -1) {
		blocks[string(m[1])] = m[2]
	}
	for _, name := range shownInREADME {
		want, err := os.ReadFile(filepath.FromSlash(name))
		if err != nil {
			t.Fatal(err)
		}
		got, ok := blocks[name]
		switch {
		case !ok:
			t.Errorf("README.md has no block marked <!-- file: examples/readme/%s -->", name)
		case !bytes.Equal(got, want):
			t.Errorf("README.md's block of examples/readme/%s differs from the file; copy the file into the README:\n--- README\n%s--- file\n%s", name, got, want)
		}
	}
}

// TestPayInvoiceCommitsThePaymentWithItsEvent runs the README's payInvoice
// on a SQLite store: the payment is written and the outbox relays
// InvoicePaid; paying the same invoice again fails.
func TestPayInvoiceCommitsThePaymentWithItsEvent(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store, err := open.Open(ctx, filepath.Join(t.TempDir(), "billing.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.DB().Close()
	if err := migrate(ctx, store.DB()); err != nil {
		t.Fatal(err)
	}
	paid := billingevents.InvoicePaid{InvoiceID: "0190a6e4-6f1e-7c3a-8d1e-2b7f1c9a0001", UserID: "0190a6e4-6f1e-7c3a-8d1e-2b7f1c9a0002", AmountCents: 1250, PaidAt: time.Now().UTC()}
	if err := payInvoice(ctx, store, paid); err != nil {
		t.Fatal(err)
	}
	if err := payInvoice(ctx, store, paid); err == nil {
		t.Fatal("paying the same invoice twice succeeded; want the payments table's key to refuse it")
	}
	var cents int64
	if err := store.DB().QueryRowContext(ctx, `SELECT amount_cents FROM payments WHERE invoice_id = ?`, paid.InvoiceID).Scan(&cents); err != nil || cents != 1250 {
		t.Fatalf("payment row: %d, %v; want 1250", cents, err)
	}
	outbox, ok := store.(interface {
		Backlog(context.Context) ([]string, error)
	})
	if !ok {
		t.Fatalf("store %T cannot list its outbox", store)
	}
	if backlog, err := outbox.Backlog(ctx); err != nil || len(backlog) != 1 {
		t.Fatalf("outbox holds %v (%v); want the one InvoicePaid of the payment that committed", backlog, err)
	}
	pub := &capture{}
	go store.Relay(ctx, pub)
	testenv.Eventually(t, 10*time.Second, "the outbox relays InvoicePaid", func() bool { return len(pub.all()) >= 1 })
	msg := pub.all()[0]
	var got billingevents.InvoicePaid
	if err := json.Unmarshal(msg.Payload, &got); err != nil || msg.Metadata[runtime.HeaderType] != "billing.InvoicePaid" || got.InvoiceID != paid.InvoiceID {
		t.Fatalf("relayed %s %s (%v); want billing.InvoicePaid of invoice %s", msg.Metadata[runtime.HeaderType], msg.Payload, err, paid.InvoiceID)
	}
}

// capture is a runtime.Publisher that keeps what it is given.
type capture struct {
	mu   sync.Mutex
	msgs []*message.Message
}

func (c *capture) Publish(_ context.Context, msgs ...*message.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.msgs = append(c.msgs, msgs...)
	return nil
}

func (c *capture) all() []*message.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*message.Message(nil), c.msgs...)
}
