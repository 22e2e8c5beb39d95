package service_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"

	"golang.org/x/sync/errgroup"

	"github.com/evgenhq/evgen/internal/testenv"
	"github.com/evgenhq/evgen/runtime"
	"github.com/evgenhq/evgen/runtime/service"
	"github.com/evgenhq/evgen/runtime/store/postgres"
)

// The recovery tests' own stand-ins for generated types: users' events
// carry the user's version, as the examples' contracts do.
type rcRegistered struct {
	UserID  string `json:"user_id"`
	Email   string `json:"email"`
	Version int64  `json:"version"`
}

func (rcRegistered) EventType() string  { return "users.UserRegistered" }
func (rcRegistered) EventVersion() int  { return 1 }
func (e rcRegistered) EventKey() string { return e.UserID }
func (e rcRegistered) Validate() error  { return rcValidate(e.UserID, e.Version) }

type rcEmailChanged struct {
	UserID  string `json:"user_id"`
	Email   string `json:"email"`
	Version int64  `json:"version"`
}

func (rcEmailChanged) EventType() string  { return "users.UserEmailChanged" }
func (rcEmailChanged) EventVersion() int  { return 1 }
func (e rcEmailChanged) EventKey() string { return e.UserID }
func (e rcEmailChanged) Validate() error  { return rcValidate(e.UserID, e.Version) }

// rcPlanChanged is published by users but consumed by no one in these
// tests: a sync skips it.
type rcPlanChanged struct {
	UserID string `json:"user_id"`
}

func (rcPlanChanged) EventType() string { return "users.UserPlanChanged" }
func (rcPlanChanged) EventVersion() int { return 1 }
func (rcPlanChanged) Validate() error   { return nil }

func rcValidate(userID string, version int64) error {
	if userID == "" || version < 1 {
		return errors.New("user_id and a version >= 1 are required")
	}
	return nil
}

var (
	rcRegisteredInfo = runtime.EventInfo{Producer: "users", Name: "UserRegistered", Type: "users.UserRegistered", Version: 1, Key: "user_id"}
	rcChangedInfo    = runtime.EventInfo{Producer: "users", Name: "UserEmailChanged", Type: "users.UserEmailChanged", Version: 1, Key: "user_id"}
	rcPlanInfo       = runtime.EventInfo{Producer: "users", Name: "UserPlanChanged", Type: "users.UserPlanChanged", Version: 1, Key: "user_id"}

	rcUsersContract = runtime.Contract{Service: "users", Publishes: []runtime.EventInfo{rcRegisteredInfo, rcChangedInfo, rcPlanInfo}}
)

// rcConsumerContract is a consumer of users' registrations and email
// changes under the name service.
func rcConsumerContract(service string) runtime.Contract {
	return runtime.Contract{Service: service, Consumes: []runtime.EventInfo{rcRegisteredInfo, rcChangedInfo}}
}

// customers is a consumer's copy of users in PostgreSQL, written by its
// handlers in the inbox transaction, plus a row per applied event so a
// test can prove that none was applied twice.
type customers struct {
	db              *sql.DB
	store           *postgres.Store
	table, appliedT string
	// beforeApply, when set, runs in the handler before its writes; an
	// error fails the handler.
	mu          sync.Mutex
	beforeApply func(userID string, m runtime.Meta) error
}

func newCustomers(t *testing.T) *customers {
	t.Helper()
	db := testenv.Postgres(t)
	prefix := testenv.UniqueName("rc")
	store, err := postgres.New(db, postgres.Options{TablePrefix: prefix + "_"})
	if err != nil {
		t.Fatal(err)
	}
	c := &customers{db: db, store: store, table: `"` + prefix + `_customers"`, appliedT: `"` + prefix + `_applied"`}
	for _, q := range []string{
		`CREATE TABLE ` + c.table + ` (user_id TEXT PRIMARY KEY, email TEXT NOT NULL, version BIGINT NOT NULL)`,
		`CREATE TABLE ` + c.appliedT + ` (event_id TEXT NOT NULL)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if _, err := db.Exec(`DROP TABLE IF EXISTS ` + c.table + `, ` + c.appliedT); err != nil {
			t.Errorf("cleanup: %v", err)
		}
		if err := store.Drop(context.Background()); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	return c
}

func (c *customers) setBeforeApply(f func(userID string, m runtime.Meta) error) {
	c.mu.Lock()
	c.beforeApply = f
	c.mu.Unlock()
}

// upsert writes the user's email unless the copy holds a newer version.
func (c *customers) upsert(ctx context.Context, userID, email string, version int64, m runtime.Meta) error {
	c.mu.Lock()
	before := c.beforeApply
	c.mu.Unlock()
	if before != nil {
		if err := before(userID, m); err != nil {
			return err
		}
	}
	tx := service.Tx(ctx)
	if _, err := tx.ExecContext(ctx, `INSERT INTO `+c.table+` (user_id, email, version) VALUES ($1, $2, $3)
		ON CONFLICT (user_id) DO UPDATE SET email = EXCLUDED.email, version = EXCLUDED.version
		WHERE `+c.table+`.version < EXCLUDED.version`, userID, email, version); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO `+c.appliedT+` (event_id) VALUES ($1)`, m.ID)
	return err
}

func (c *customers) register(t *testing.T, svc *service.Service) {
	t.Helper()
	err := runtime.RegisterAll(svc,
		runtime.On(func(ctx context.Context, e rcRegistered, m runtime.Meta) error {
			return c.upsert(ctx, e.UserID, e.Email, e.Version, m)
		}),
		runtime.On(func(ctx context.Context, e rcEmailChanged, m runtime.Meta) error {
			return c.upsert(ctx, e.UserID, e.Email, e.Version, m)
		}),
	)
	if err != nil {
		t.Fatal(err)
	}
}

// rows returns the copy: email and version by user.
func (c *customers) rows(t *testing.T) map[string]rcUser {
	t.Helper()
	rows, err := c.db.Query(`SELECT user_id, email, version FROM ` + c.table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string]rcUser{}
	for rows.Next() {
		var id string
		var u rcUser
		if err := rows.Scan(&id, &u.Email, &u.Version); err != nil {
			t.Fatal(err)
		}
		got[id] = u
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

// applied returns how many events were applied, and how many of them more
// than once.
func (c *customers) applied(t *testing.T) (total, twice int) {
	t.Helper()
	err := c.db.QueryRow(`SELECT count(*), count(*) - count(DISTINCT event_id) FROM `+c.appliedT).Scan(&total, &twice)
	if err != nil {
		t.Fatal(err)
	}
	return total, twice
}

// rcUser is one user's state as the producer knows it.
type rcUser struct {
	Email   string
	Version int64
}

// truth is the producer's state, kept by the test as it publishes.
type truth struct {
	mu    sync.Mutex
	users map[string]rcUser
}

func (tr *truth) set(id string, u rcUser) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.users == nil {
		tr.users = map[string]rcUser{}
	}
	tr.users[id] = u
}

func (tr *truth) copy() map[string]rcUser {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	m := make(map[string]rcUser, len(tr.users))
	for k, v := range tr.users {
		m[k] = v
	}
	return m
}

// publishAll publishes events from 8 goroutines and waits for every
// confirm.
func publishAll(ctx context.Context, p runtime.Publisher, events []runtime.Event) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for _, e := range events {
		g.Go(func() error { return runtime.Publish(ctx, p, e) })
	}
	return g.Wait()
}

func rcUserID(i int) string { return fmt.Sprintf("user-%04d", i) }

// registrations returns n registrations and records them in tr.
func registrations(tr *truth, n int) []runtime.Event {
	var es []runtime.Event
	for i := range n {
		e := rcRegistered{UserID: rcUserID(i), Email: fmt.Sprintf("u%d@example.com", i), Version: 1}
		tr.set(e.UserID, rcUser{e.Email, 1})
		es = append(es, e)
	}
	return es
}

// emailChanges changes the email of users first..first+n-1 to version.
func emailChanges(tr *truth, first, n int, version int64) []runtime.Event {
	var es []runtime.Event
	for i := first; i < first+n; i++ {
		e := rcEmailChanged{UserID: rcUserID(i), Email: fmt.Sprintf("u%d.v%d@example.com", i, version), Version: version}
		tr.set(e.UserID, rcUser{e.Email, version})
		es = append(es, e)
	}
	return es
}
