package evgentest

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/evgenhq/evgen/examples/readme/billingevents"
	"github.com/evgenhq/evgen/internal/golden/mutual/pingevents"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
)

// ponger answers each Ponged with a Pinged of the next round, through the
// outbox in the inbox transaction; round 0 fails.
type ponger struct{}

func (ponger) HandlePonged(ctx context.Context, e pingevents.Ponged, _ runtime.Meta) error {
	if e.Round == 0 {
		return errors.New("round 0 is refused")
	}
	if _, err := service.Tx(ctx).ExecContext(ctx, `INSERT INTO rounds (n) VALUES (?)`, e.Round); err != nil {
		return err
	}
	return pingevents.NewPublisher(service.TxPublisher(ctx)).PublishPinged(ctx, pingevents.Pinged{Round: pingevents.Round{N: e.Round + 1}})
}

func pingerSpec() Spec[pingevents.Handlers] {
	return NewSpec(pingevents.Contract, pingevents.RegisterHandlers, func(ctx context.Context, db *sql.DB) (pingevents.Handlers, error) {
		_, err := db.ExecContext(ctx, `CREATE TABLE rounds (n INTEGER NOT NULL)`)
		return ponger{}, err
	})
}

func rounds(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM rounds`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestDeliverReturnsWhatTheHandlerPublished(t *testing.T) {
	svc := Start(t, pingerSpec())
	d := svc.Deliver(pingevents.Ponged{Round: 1}, runtime.WithID("0190a6e4-6f1e-7c3a-8d1e-2b7f1c9a0101"))
	if !d.Handled || d.Duplicate || d.DeadLettered {
		t.Fatalf("first delivery: %s, want handled", d)
	}
	pinged := EventsOf[pingevents.Pinged](t, d.Published)
	if len(pinged) != 1 || pinged[0].Round.N != 2 {
		t.Fatalf("published %+v, want one Pinged of round 2", pinged)
	}
	if got := EventsOf[pingevents.Pinged](t, svc.Published()); len(got) != 1 {
		t.Fatalf("the service published %d Pinged in all, want 1", len(got))
	}
	again := svc.Deliver(pingevents.Ponged{Round: 1}, runtime.WithID("0190a6e4-6f1e-7c3a-8d1e-2b7f1c9a0101"))
	if !again.Duplicate || len(again.Published) != 0 {
		t.Fatalf("the same event again: %s, published %d; want a duplicate publishing nothing", again, len(again.Published))
	}
	if n := rounds(t, svc.DB()); n != 1 {
		t.Fatalf("%d rounds recorded, want 1", n)
	}
}

func TestDeliverReportsDeadLetters(t *testing.T) {
	svc := Start(t, pingerSpec())
	d := svc.Deliver(pingevents.Ponged{Round: 0})
	if !d.DeadLettered || !strings.Contains(d.Reason, "round 0 is refused") || d.Meta.Attempt != 3 {
		t.Fatalf("delivery: %s after attempt %d; want dead-lettered for the handler's error after 3 attempts", d, d.Meta.Attempt)
	}
	bad := message.NewMessage("0190a6e4-6f1e-7c3a-8d1e-2b7f1c9a0102", []byte(`{"round": "one"}`))
	for k, v := range map[string]string{runtime.HeaderSpecVersion: runtime.SpecVersion, runtime.HeaderType: "pong.Ponged", runtime.HeaderSource: "pong", runtime.HeaderEventVersion: "1"} {
		bad.Metadata.Set(k, v)
	}
	if d := svc.DeliverMessage(bad); !d.DeadLettered || !strings.Contains(d.Reason, "decode pong.Ponged v1") || d.Meta.Attempt != 1 {
		t.Fatalf("an undecodable payload: %s after attempt %d; want dead-lettered at once", d, d.Meta.Attempt)
	}
	dead := svc.DeadLetters()
	if len(dead) != 2 {
		t.Fatalf("%d dead letters, want 2", len(dead))
	}
	if got := EventsOf[pingevents.Ponged](t, []*message.Message{dead[0].Message}); len(got) != 1 || got[0].Round != 0 {
		t.Fatalf("the first dead letter decodes to %+v, want round 0", got)
	}
	if n := rounds(t, svc.DB()); n != 0 {
		t.Fatalf("%d rounds recorded, want none", n)
	}
}

func TestCrashAndRedeliver(t *testing.T) {
	tests := []struct {
		crash       Crash
		wantHandled bool
	}{
		{CrashBeforeAck, false},
		{CrashBeforeCommit, true},
	}
	for _, tt := range tests {
		t.Run(tt.crash.String(), func(t *testing.T) {
			svc := Start(t, pingerSpec())
			d := svc.CrashAndRedeliver(tt.crash, pingevents.Ponged{Round: 1})
			if d.Handled != tt.wantHandled || d.Duplicate == tt.wantHandled {
				t.Fatalf("redelivery: %s, want handled = %v", d, tt.wantHandled)
			}
			if n := rounds(t, svc.DB()); n != 1 {
				t.Fatalf("%d rounds recorded, want 1", n)
			}
			if got := EventsOf[pingevents.Pinged](t, svc.Published()); len(got) != 1 {
				t.Fatalf("the committed attempts published %d Pinged, want 1", len(got))
			}
			// The new instance consumes what follows.
			if d := svc.Deliver(pingevents.Ponged{Round: 2}); !d.Handled {
				t.Fatalf("after the restart: %s, want handled", d)
			}
		})
	}
}

func TestDeliverRefusesAnEventNotConsumed(t *testing.T) {
	svc := Start(t, billingSpec(customers{}))
	msg, err := runtime.NewMessage(context.Background(), billingevents.InvoicePaid{
		InvoiceID: ada, UserID: ada, AmountCents: 1, PaidAt: testTime,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.deliver(msg, 0); err == nil || !strings.Contains(err.Error(), `service billing consumes nothing from "billing"`) {
		t.Fatalf("delivering billing's own event: %v; want it refused", err)
	}
}
