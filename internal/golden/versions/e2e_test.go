package versions_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/evgenhq/evgen/internal/golden/versions/billingevents"
	"github.com/evgenhq/evgen/internal/golden/versions/mailerevents"
	"github.com/evgenhq/evgen/internal/golden/versions/usersevents"
	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store/sqlite"
)

// A migration of users.UserEmailChanged and users.UserRenamed from v1 to
// v2 on the real RabbitMQ. users first runs the old contract (v1 only),
// then the new one, which publishes v1 and v2 of each change, through its
// outbox and straight to the broker. billing
// stays on v1 and mailer is on v2; both apply each change once. Two
// services that start later sync from users' event log, which holds a
// mix of versions written before and after the change.

// applied records what a consumer's handlers applied: one line per
// event, with the version it arrived in.
type applied struct {
	mu    sync.Mutex
	lines []string
}

func (a *applied) add(format string, args ...any) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.lines = append(a.lines, fmt.Sprintf(format, args...))
	return nil
}

func (a *applied) sorted() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Sorted(slices.Values(a.lines))
}

// v1Handlers is billing's handlers, built from billing's contract: v1.
type v1Handlers struct{ applied }

func (h *v1Handlers) HandleUserEmailChanged(_ context.Context, e billingevents.UserEmailChanged, m runtime.Meta) error {
	return h.add("v%d email %s", m.Version, e.Email)
}

func (h *v1Handlers) HandleUserRenamed(_ context.Context, e billingevents.UserRenamed, m runtime.Meta) error {
	return h.add("v%d name %s", m.Version, e.Name)
}

// v2Handlers is mailer's handlers, built from mailer's contract: v2.
type v2Handlers struct{ applied }

func (h *v2Handlers) HandleUserEmailChanged(_ context.Context, e mailerevents.UserEmailChanged, m runtime.Meta) error {
	return h.add("v%d email %s verified=%v", m.Version, e.Email, e.Verified)
}

func (h *v2Handlers) HandleUserRenamed(_ context.Context, e mailerevents.UserRenamed, m runtime.Meta) error {
	return h.add("v%d name %s", m.Version, e.DisplayName)
}

// renamer is users' Converter: v1 of UserRenamed calls the name `name`.
type renamer struct{}

func (renamer) UserRenamedV1(e usersevents.UserRenamed) (usersevents.UserRenamedV1, error) {
	return usersevents.UserRenamedV1{UserID: e.UserID, Name: e.DisplayName}, nil
}

const user = "0190f2a4-7d3c-7b11-9c2e-5b8f1d3e4a21"

// oldUsers is users before the migration: its contract and publisher
// know v1 only, as the code generated from the old contract did.
var oldUsers = runtime.Contract{Service: "users", Publishes: []runtime.EventInfo{
	{Producer: "users", Name: "UserEmailChanged", Type: "users.UserEmailChanged", Version: 1, Key: "user_id"},
	{Producer: "users", Name: "UserRenamed", Type: "users.UserRenamed", Version: 1, Key: "user_id"},
}}

func TestVersionsSideBySide(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	billing, mailer := &v1Handlers{}, &v2Handlers{}
	consumer := func(c runtime.Contract, register func(*service.Service) error) {
		svc := e.service(t, c)
		if err := register(svc); err != nil {
			t.Fatal(err)
		}
		run(t, svc)
	}
	consumer(billingevents.Contract, func(s *service.Service) error { return billingevents.RegisterHandlers(s, billing) })
	consumer(mailerevents.Contract, func(s *service.Service) error { return mailerevents.RegisterHandlers(s, mailer) })

	old := e.service(t, oldUsers)
	stopOld := run(t, old)
	for i := 1; i <= 2; i++ {
		if err := runtime.Publish(ctx, old, &billingevents.UserEmailChanged{UserID: user, Email: fmt.Sprintf("old%d@example.com", i), Version: int64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	stopOld()

	store := outboxStore(t)
	outboxed(t, store, "outbox@example.com")
	users := e.serviceWith(t, usersevents.Contract, store)
	run(t, users) // its relay sends what the outbox holds
	pub := usersevents.NewPublisher(users, renamer{})
	changed := func(email string, opts ...runtime.PublishOption) {
		t.Helper()
		if err := pub.PublishUserEmailChanged(ctx, usersevents.UserEmailChanged{UserID: user, Email: email, Verified: true, Version: 3}, opts...); err != nil {
			t.Fatal(err)
		}
	}
	changed("new1@example.com", runtime.WithID("0190f2a4-0000-7000-8000-000000000001"))
	changed("new1@example.com", runtime.WithID("0190f2a4-0000-7000-8000-000000000001")) // a retry: dropped by both inboxes
	if err := pub.PublishUserRenamed(ctx, usersevents.UserRenamed{UserID: user, DisplayName: "Ada"}); err != nil {
		t.Fatal(err)
	}
	changed("last@example.com")

	wantBilling := []string{"v1 email last@example.com", "v1 email new1@example.com", "v1 email old1@example.com", "v1 email old2@example.com", "v1 email outbox@example.com", "v1 name Ada"}
	wantMailer := []string{"v2 email last@example.com verified=true", "v2 email new1@example.com verified=true", "v2 email outbox@example.com verified=true", "v2 name Ada"}
	waitFor(t, "billing", &billing.applied, wantBilling, "v1 email last@example.com", "v1 email outbox@example.com")
	waitFor(t, "mailer", &mailer.applied, wantMailer, "v2 email last@example.com verified=true", "v2 email outbox@example.com verified=true")

	t.Run("sync from the log", func(t *testing.T) {
		for _, tc := range []struct {
			name     string
			contract runtime.Contract
			want     []string
			skipped  int64 // the log's events of the other version
		}{
			{"ledger on v1", renamed(billingevents.Contract, "ledger"), wantBilling, 5},
			{"archive on v2", renamed(mailerevents.Contract, "archive"), wantMailer, 7},
		} {
			t.Run(tc.name, func(t *testing.T) {
				svc := e.service(t, tc.contract)
				got := register(t, svc, tc.contract.Consumes[0].Version)
				p, err := svc.Sync(ctx, "users", runtime.SyncFromStart(), runtime.SyncOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if lines := got.sorted(); !slices.Equal(lines, tc.want) {
					t.Errorf("applied from the log:\n %q\nwant\n %q", lines, tc.want)
				}
				if p.Applied != int64(len(tc.want)) || p.Duplicates != 1 || p.Skipped != tc.skipped || p.DeadLettered != 0 {
					t.Errorf("progress %+v, want %d applied, 1 duplicate (the retry), %d skipped (the other version), none dead-lettered", p, len(tc.want), tc.skipped)
				}
			})
		}
	})
}

// outboxStore is users' store after the migration: SQLite, so that its
// outbox is written in a real transaction.
func outboxStore(t *testing.T) *sqlite.Store {
	t.Helper()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "users.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	store, err := sqlite.New(db, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return store
}

// outboxed publishes one email change through store's outbox, in a
// transaction, and checks that the outbox holds it at both versions.
func outboxed(t *testing.T, store *sqlite.Store, email string) {
	t.Helper()
	ctx := context.Background()
	tx, err := store.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	const id = "0190f2a4-0000-7000-8000-0000000000aa"
	pub := usersevents.NewPublisher(store.Publisher(tx), renamer{})
	if err := pub.PublishUserEmailChanged(ctx, usersevents.UserEmailChanged{UserID: user, Email: email, Version: 3, Verified: true}, runtime.WithID(id)); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	backlog, err := store.Backlog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{id, runtime.VersionID(id, 1)}; !slices.Equal(backlog, want) {
		t.Fatalf("outbox holds %v, want v2 and v1 of the change: %v", backlog, want)
	}
}

// register registers on svc the handlers of version, billing's (v1) or
// mailer's (v2).
func register(t *testing.T, svc *service.Service, version int) *applied {
	t.Helper()
	var err error
	var a *applied
	if version == 1 {
		h := &v1Handlers{}
		a, err = &h.applied, billingevents.RegisterHandlers(svc, h)
	} else {
		h := &v2Handlers{}
		a, err = &h.applied, mailerevents.RegisterHandlers(svc, h)
	}
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// renamed is c for another consuming service, so that it gets a queue and
// a position in the log of its own.
func renamed(c runtime.Contract, service string) runtime.Contract {
	c.Service = service
	return c
}

// waitFor waits until a has applied each of lasts, then checks that it
// applied want, each once. A consumer handles its queue in order, so
// having applied the last change published straight to the broker, it has
// handled the retry before it; the outbox's relay runs apart, so its
// change is waited for too.
func waitFor(t *testing.T, who string, a *applied, want []string, lasts ...string) {
	t.Helper()
	testenv.Eventually(t, 20*time.Second, fmt.Sprintf("%s to apply %q", who, lasts), func() bool {
		got := a.sorted()
		return !slices.ContainsFunc(lasts, func(l string) bool { return !slices.Contains(got, l) })
	})
	if got := a.sorted(); !slices.Equal(got, want) {
		t.Errorf("%s applied:\n %q\nwant, each once:\n %q", who, got, want)
	}
}
