package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/store"
	"github.com/evgenhq/evgen/runtime/store/open"
)

func TestOutboxUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		stderr string
	}{
		{nil, "no action"},
		{[]string{"frob", "-db", "x.db"}, `unknown action "frob"`},
		{[]string{"list"}, "-db is required"},
		{[]string{"list", "-db", "x.db", "id1"}, "list takes no IDs"},
		{[]string{"retry", "-db", "x.db"}, "retry needs a selection"},
		{[]string{"drop", "-db", "x.db"}, "drop needs a selection"},
		{[]string{"drop", "-db", "x.db", "-all", "id1"}, "not both"},
		{[]string{"list", "-db", "x.db", "-bogus"}, "flag provided but not defined"},
	} {
		got := runEvgen(t, append([]string{"outbox"}, tc.args...)...)
		if got.code != exitUsage || !strings.Contains(got.stderr, tc.stderr) {
			t.Errorf("outbox %q: exit %d, stderr %q; want 2 and %q", tc.args, got.code, got.stderr, tc.stderr)
		}
	}
	if got := runEvgen(t, "help", "outbox"); got.code != exitOK || got.stdout != outboxUsage {
		t.Errorf("help outbox: exit %d, stdout %q", got.code, got.stdout)
	}
}

func TestOutboxBadDSN(t *testing.T) {
	for _, tc := range []struct{ db, stderr string }{
		{"mysql://u@h/db", `scheme "mysql" is not supported`},
		{filepath.Join(t.TempDir(), "missing.db"), "no SQLite database there"},
		{"postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=2", "connect to PostgreSQL"},
	} {
		if got := runEvgen(t, "outbox", "list", "-db", tc.db); got.code != 1 || !strings.Contains(got.stderr, tc.stderr) {
			t.Errorf("outbox list -db %s: exit %d, stderr %q; want 1 and %q", tc.db, got.code, got.stderr, tc.stderr)
		}
	}
}

func TestOutboxAgainstSQLite(t *testing.T) {
	testOutboxCommands(t, filepath.Join(t.TempDir(), "users.db"), "evgen_")
}

func TestOutboxAgainstPostgres(t *testing.T) {
	testOutboxCommands(t, testenv.PostgresDSN(t), testenv.UniqueName("evgen_cli")+"_")
}

// testOutboxCommands sets two events aside in the store dsn names, by a
// relay whose publisher refuses them for good, and drives evgen outbox
// over them: list, retry of an unknown ID, retry, drop.
func testOutboxCommands(t *testing.T, dsn, prefix string) {
	st := setAsideStore(t, dsn, prefix)
	base := []string{"-db", dsn, "-table-prefix", prefix}
	outbox := func(action string, args ...string) result {
		t.Helper()
		return runEvgen(t, append(append([]string{"outbox", action}, base...), args...)...)
	}
	poison1, poison2 := outboxEvent(1), outboxEvent(3)

	got := outbox("list")
	for _, want := range []string{poison1, poison2, "users.UserRegistered v1", "key=u1", `reason="not in its contract`} {
		if !strings.Contains(got.stdout, want) {
			t.Errorf("list: stdout lacks %q:\n%s", want, got.stdout)
		}
	}
	if got.code != exitOK || !strings.Contains(got.stderr, "2 set-aside outbox rows") {
		t.Errorf("list: exit %d, stderr %q", got.code, got.stderr)
	}
	if got := outbox("retry", poison1, "no-such-id"); got.code != 1 || !strings.Contains(got.stderr, "no-such-id") || !strings.Contains(got.stderr, "not a set-aside outbox row") {
		t.Errorf("retry of an unknown ID: exit %d, stderr %q", got.code, got.stderr)
	}
	if got := outbox("retry", poison1); got.code != exitOK || !strings.Contains(got.stdout, "put 1 events back") {
		t.Fatalf("retry: exit %d, %q %q", got.code, got.stdout, got.stderr)
	}
	if b := backlogOf(t, st); !slices.Equal(b, []string{poison1}) {
		t.Errorf("outbox backlog after retry = %v, want the retried %s", b, poison1)
	}

	old := stdin
	stdin = strings.NewReader("n\n")
	t.Cleanup(func() { stdin = old })
	if got := outbox("drop", "-all"); got.code != exitOK || !strings.Contains(got.stdout, "nothing dropped") {
		t.Errorf("drop answered no: exit %d, %q", got.code, got.stdout)
	}
	if got := outbox("drop", "-all", "-yes"); got.code != exitOK || !strings.Contains(got.stdout, "dropped 1 ") {
		t.Errorf("drop -yes: exit %d, %q %q", got.code, got.stdout, got.stderr)
	}
	if got := outbox("list"); got.code != exitOK || got.stdout != "" || !strings.Contains(got.stderr, "0 set-aside") {
		t.Errorf("list after drop: exit %d, %q %q", got.code, got.stdout, got.stderr)
	}
}

func outboxEvent(i int) string { return fmt.Sprintf("0190a1b2-0000-7000-8000-%012d", i) }

type registered struct {
	UserID string `json:"user_id"`
}

func (registered) EventType() string  { return "users.UserRegistered" }
func (registered) EventVersion() int  { return 1 }
func (e registered) EventKey() string { return e.UserID }
func (registered) Validate() error    { return nil }

// refusing is a relay's broker publisher that refuses odd-numbered events
// for good, as a service refuses events outside its contract.
type refusing struct{ sent chan string }

func (r refusing) Publish(_ context.Context, msgs ...*message.Message) error {
	for _, m := range msgs {
		if m.UUID == outboxEvent(1) || m.UUID == outboxEvent(3) {
			return runtime.Permanent(errors.New("not in its contract"))
		}
		r.sent <- m.UUID
	}
	return nil
}

// setAsideStore opens the store at dsn, writes four events and relays
// them until the two refused ones are set aside.
func setAsideStore(t *testing.T, dsn, prefix string) store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := open.Open(ctx, dsn, open.WithTablePrefix(prefix))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if d, ok := st.(interface{ Drop(context.Context) error }); ok {
			if err := d.Drop(context.Background()); err != nil {
				t.Errorf("drop tables: %v", err)
			}
		}
		st.DB().Close()
	})
	for i := range 4 {
		tx, err := st.DB().BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := runtime.Publish(ctx, st.Publisher(tx), registered{fmt.Sprintf("u%d", i)}, runtime.WithID(outboxEvent(i))); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	relayCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	pub := refusing{make(chan string, 4)}
	go func() { done <- st.Relay(relayCtx, pub) }()
	for range 2 {
		select {
		case <-pub.sent:
		case <-ctx.Done():
			t.Fatal("relay did not send the good events")
		}
	}
	for len(backlogOf(t, st)) > 0 { // the relay marks a row just after its publish returned
		select {
		case <-time.After(10 * time.Millisecond):
		case <-ctx.Done():
			t.Fatalf("backlog still %v", backlogOf(t, st))
		}
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("relay: %v", err)
	}
	return st
}

func backlogOf(t *testing.T, s store.Store) []string {
	t.Helper()
	b, ok := s.(interface {
		Backlog(context.Context) ([]string, error)
	})
	if !ok {
		t.Fatalf("%T has no Backlog", s)
	}
	ids, err := b.Backlog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return ids
}
