package evgentest

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/evgenhq/evgen/internal/golden/oneway/consumerevents"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
)

func TestCheckPassesVersionGuardedHandlers(t *testing.T) {
	Check(t, billingSpec(customers{}), usersEvents, billingState)
}

// TestCheckFindsBugs runs the checker on handlers that break under
// redelivery or reordering, and pins the first line of its report and the
// sequence it names.
func TestCheckFindsBugs(t *testing.T) {
	tests := []struct {
		name  string
		check func(t *testing.T) (string, error)
		want  []string
	}{
		{"an email sent outside the transaction is sent twice", func(t *testing.T) (string, error) {
			return checkRuns(t, billingSpec(customers{mailer: &mailer{}}), usersEvents, billingState)
		}, []string{
			"service billing ends in another state than the straight run when every event delivered twice, with a crash before the commit before each redelivery:",
			"1. event 1, users.UserRegistered (key " + ada + "): crash before the commit, then redelivered: handled\n" +
				"     the state first differs here; the straight run's:\n" +
				"       " + ada + " ada@example.com@1\n       sent: ada@example.com\n" +
				"     this run's:\n" +
				"       " + ada + " ada@example.com@1\n       sent: ada@example.com,ada@example.com\n",
			"\n  sent: ada@example.com,grace@example.com\nthis run ends in:",
			"\n  sent: ada@example.com,ada@example.com,grace@example.com,grace@example.com",
		}},
		{"a last-write-wins handler of unordered events", func(t *testing.T) (string, error) {
			return checkRuns(t, pingSpec(`ON CONFLICT (id) DO UPDATE SET seq = excluded.seq`), pings(1, 2, 3), pingState)
		}, []string{
			"service consumer ends in another state than the straight run when reordered (ordering 1):",
			"1. event 3, producer.Ping (key 3): handled",
			"the straight run (each event once, in order) ends in:\n  3\nthis run ends in:\n  1",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			failure, err := tt.check(t)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(failure, w) {
					t.Errorf("the report lacks %q:\n%s", w, failure)
				}
			}
			t.Logf("the checker's report:\n%s", failure)
		})
	}
}

// TestCheckKeepsTheOrderOfAnOrderedKey: the version guard is gone, but
// users' contract orders each user's events (order_by), so no reordering
// puts a user's older change after a newer one, and the checker passes.
func TestCheckKeepsTheOrderOfAnOrderedKey(t *testing.T) {
	Check(t, billingSpec(customers{noGuard: true}), usersEvents, billingState)
}

func TestCheckPassesAMaxOfUnorderedEvents(t *testing.T) {
	Check(t, pingSpec(`ON CONFLICT (id) DO UPDATE SET seq = max(seq, excluded.seq)`), pings(1, 2, 3), pingState)
}

type pingHandlers struct{ upsert string }

func (h pingHandlers) HandlePing(ctx context.Context, e consumerevents.Ping, _ runtime.Meta) error {
	_, err := service.Tx(ctx).ExecContext(ctx, `INSERT INTO last_ping (id, seq) VALUES (1, ?) `+h.upsert, e.Seq)
	return err
}

func pingSpec(upsert string) Spec[consumerevents.Handlers] {
	return NewSpec(consumerevents.Contract, consumerevents.RegisterHandlers, func(ctx context.Context, db *sql.DB) (consumerevents.Handlers, error) {
		_, err := db.ExecContext(ctx, `CREATE TABLE last_ping (id INTEGER PRIMARY KEY, seq INTEGER NOT NULL)`)
		return pingHandlers{upsert}, err
	})
}

func pingState(ctx context.Context, svc *Service[consumerevents.Handlers]) (int64, error) {
	var seq int64
	err := svc.DB().QueryRowContext(ctx, `SELECT seq FROM last_ping`).Scan(&seq)
	return seq, err
}

func pings(seqs ...int64) []runtime.Event {
	out := make([]runtime.Event, len(seqs))
	for i, s := range seqs {
		out[i] = consumerevents.Ping{Seq: s}
	}
	return out
}
